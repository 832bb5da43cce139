import { parse as parseYaml } from 'yaml';
import { ConfigError, quoteText } from '../errors.ts';
import { RESERVED_KEYS } from './structure-limits.ts';

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

/** An error if `key` is one no config may hold. */
function checkKey(key: string, where: string): void {
  if (RESERVED_KEYS.has(key)) throw new ConfigError(`${where}: "${key}" cannot be a config key (it names a JavaScript object's prototype)`);
}

/**
 * Parse `a.b.c=value`. The value is read as YAML, so `50` is a number, `true` a
 * boolean and `[1, 2]` a list, as they would be in the file.
 */
export function parseOverride(text: string): Override {
  const eq = text.indexOf('=');
  const path = eq === -1 ? '' : text.slice(0, eq).trim();
  // Messages quote the override as its origin: on one line, a long value cut short.
  const origin = eq === -1 ? quoteText(text) : `${quoteText(text.slice(0, eq))}=${quoteText(text.slice(eq + 1))}`;
  if (!KEY_PATH.test(path)) {
    throw new ConfigError(`override "${origin}": expected KEY.PATH=VALUE, e.g. diffusion.params.skip_steps=50`);
  }
  for (const key of path.split('.')) checkKey(key, `override "${origin}"`);
  const raw = text.slice(eq + 1);
  let value: unknown;
  try {
    // logLevel 'error': a YAML warning (an unknown tag, say) must not print a second stderr line.
    value = raw.trim() === '' ? null : parseYaml(raw, { logLevel: 'error' });
  } catch {
    value = raw;
  }
  return { path, value, origin };
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Set a dotted path in a plain object tree, creating sections on the way. */
export function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  for (const key of keys) checkKey(key, quoteText(path));
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = Object.hasOwn(node, key) ? node[key] : undefined;
    if (!isPlainObject(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys.at(-1)!] = value;
}

/** The value at a dotted path; own keys only, so `constructor` finds nothing. */
export function getPath(source: unknown, path: string): unknown {
  let node = source;
  for (const key of path.split('.')) {
    if (!isPlainObject(node) || !Object.hasOwn(node, key)) return undefined;
    node = node[key];
  }
  return node;
}
