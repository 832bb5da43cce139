import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../errors.ts';

/** One value set from outside the config file: a CLI flag, a dotted override, a request field. */
export interface Override {
  /** Dotted key path, e.g. `diffusion.params.skip_steps`. */
  readonly path: string;
  readonly value: unknown;
  /** How the user wrote it, for error messages: `--skip_steps`, `diffusion.params.skip_steps=50`. */
  readonly origin: string;
  /** Add list items to what the file has (e.g. `--plugin`) instead of replacing the list. */
  readonly append?: boolean;
}

const KEY_PATH = /^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)*$/;

/**
 * Parse `a.b.c=value`. The value is read as YAML, so `50` is a number, `true` a
 * boolean and `[1, 2]` a list, as they would be in the file.
 */
export function parseOverride(text: string): Override {
  const eq = text.indexOf('=');
  const path = eq === -1 ? '' : text.slice(0, eq).trim();
  if (!KEY_PATH.test(path)) {
    throw new ConfigError(`override "${text}": expected KEY.PATH=VALUE, e.g. diffusion.params.skip_steps=50`);
  }
  const raw = text.slice(eq + 1);
  let value: unknown;
  try {
    value = raw.trim() === '' ? null : parseYaml(raw);
  } catch {
    value = raw;
  }
  return { path, value, origin: text };
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Set a dotted path in a plain object tree, creating sections on the way. */
export function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (!isPlainObject(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys.at(-1)!] = value;
}

export function getPath(source: unknown, path: string): unknown {
  let node = source;
  for (const key of path.split('.')) {
    if (!isPlainObject(node)) return undefined;
    node = node[key];
  }
  return node;
}
