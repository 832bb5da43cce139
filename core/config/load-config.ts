/**
 * Load a YAML config (with `extends:`), apply overrides, validate it with valibot and
 * resolve its paths: the one place a config becomes a DdimConfig.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import * as v from 'valibot';
import { parse as parseYaml } from 'yaml';
import { ConfigError, firstLine, oneLine } from '../errors.ts';
import { didYouMean } from '../suggest.ts';
import { issueMessage } from './issue-message.ts';
import { type Override, getPath, isPlainObject, setPath } from './overrides.ts';
import { RUN_OPTIONS } from './run-options.ts';
import { ConfigSchema, type DdimConfig, KNOWN_TOP_LEVEL_KEYS } from './schema.ts';

/** The top-level keys the toolkit itself reads, offered when an override names another. */
const CONFIG_KEYS = ['seed', 'data', 'diffusion', 'sampler', 'server', 'plugins'];

/** Top-level keys a file may hold but an override may not set, and what to do instead. */
const OVERRIDE_HINTS: Record<string, string> = {
  model: ' (the sampler reads the network from an ONNX file: --weights FILE or sampler.weights=FILE)',
  extends: ' (extends is read from a config file only)',
  train: ' (a training-only section: the sampler never reads it)',
  dataloader: ' (a training-only section: the sampler never reads it)',
};

/** Keys holding file paths: relative ones are resolved against the file (or cwd) that set them. */
const PATH_KEYS = ['sampler.weights', 'sampler.input_dir', 'sampler.mask_dir', 'sampler.mask', 'sampler.save_dir', 'sampler.noise'];

export interface LoadConfigOptions {
  /** Applied after the file, in order (CLI flags last, so they win). */
  readonly overrides?: readonly Override[];
  /** Directory that relative paths in overrides and defaults are taken from (default: cwd). */
  readonly cwd?: string;
  /** Receives non-fatal notes, e.g. an unknown top-level key. */
  readonly onWarning?: (message: string) => void;
}

interface Layer {
  readonly data: Record<string, unknown>;
  /** Which file or flag set each dotted leaf path. */
  readonly origins: Map<string, string>;
}

function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return oneLine(rel.startsWith('..') ? file : rel);
}

/** Keys that would reach into JavaScript's object prototypes when merged. */
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** A value a message names without quoting it whole (it may be huge, or an alias bomb). */
function describeValue(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (isPlainObject(value)) return 'a mapping';
  return typeof value === 'string' ? `"${oneLine(value).slice(0, 60)}"` : String(value);
}

function isPluginPath(specifier: string): boolean {
  return specifier.startsWith('.') || isAbsolute(specifier);
}

/** Make a file's own relative paths absolute, so they survive `extends` and merging. */
function resolvePathsIn(data: Record<string, unknown>, baseDir: string): void {
  for (const key of PATH_KEYS) {
    const value = getPath(data, key);
    if (typeof value === 'string' && value !== '' && !isAbsolute(value)) setPath(data, key, resolve(baseDir, value));
  }
  if (Array.isArray(data.plugins)) {
    data.plugins = data.plugins.map((p: unknown) => (typeof p === 'string' && isPluginPath(p) ? resolve(baseDir, p) : p));
  }
}

function recordOrigins(data: unknown, prefix: string, origin: string, origins: Map<string, string>): void {
  if (isPlainObject(data)) {
    for (const [key, value] of Object.entries(data)) {
      const path = prefix ? `${prefix}.${key}` : key;
      if (RESERVED_KEYS.has(key)) throw new ConfigError(`${origin}: ${oneLine(path)}: "${key}" cannot be a config key (it names a JavaScript object's prototype)`, { path });
      recordOrigins(value, path, origin, origins);
    }
  } else {
    origins.set(prefix, origin);
  }
}

/** Objects merge key by key; anything else (lists included) is replaced. */
function deepMerge(base: Record<string, unknown>, top: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(top)) {
    const prior = out[key];
    out[key] = isPlainObject(prior) && isPlainObject(value) ? deepMerge(prior, value) : value;
  }
  return out;
}

function readLayer(file: string, chain: readonly string[]): Layer {
  const path = resolve(file);
  const shown = displayPath(path);
  if (chain.includes(path)) throw new ConfigError(`${shown}: extends forms a cycle: ${[...chain, path].map(displayPath).join(' -> ')}`);
  if (!existsSync(path)) {
    const from = chain.length ? ` (extended by ${displayPath(chain.at(-1)!)})` : '';
    throw new ConfigError(`config file not found: ${shown}${from}`);
  }
  if (!statSync(path).isFile()) throw new ConfigError(`config file ${shown} is not a file; expected a YAML file`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read config file ${shown}: ${oneLine(firstLine(error))}`);
  }
  let data: unknown;
  try {
    // logLevel 'error': a YAML warning (an unknown tag, say) must not print lines of its own.
    data = parseYaml(text, { logLevel: 'error' });
  } catch (error) {
    // The parser recurses per level: a document nested thousands deep overflows the stack.
    const reason = error instanceof RangeError ? 'nested too deeply' : firstLine(error);
    throw new ConfigError(`${shown}: not valid YAML: ${oneLine(reason)}`);
  }
  if (data === null || data === undefined) data = {};
  if (!isPlainObject(data)) throw new ConfigError(`${shown}: expected a mapping of keys at the top level, got ${Array.isArray(data) ? 'a list' : typeof data}`);
  resolvePathsIn(data, dirname(path));

  let base: Layer = { data: {}, origins: new Map() };
  const parent = data.extends;
  if (parent !== undefined) {
    if (typeof parent !== 'string') throw new ConfigError(`${shown}: extends: expected a file path, got ${describeValue(parent)}`);
    base = readLayer(resolve(dirname(path), parent), [...chain, path]);
  }
  const { extends: _ignored, ...own } = data;
  const origins = new Map(base.origins);
  recordOrigins(own, '', shown, origins);
  return { data: deepMerge(base.data, own), origins };
}

/**
 * Validate a raw (already merged) config object.
 * `origins` maps dotted paths to the file or flag that set them, for messages.
 */
export function validateConfig(raw: Record<string, unknown>, origins: Map<string, string>, source?: string): DdimConfig {
  const result = v.safeParse(ConfigSchema, raw);
  if (!result.success) {
    const issue = result.issues[0];
    const keys = (issue.path ?? []).map((item) => String(item.key));
    const dotted = keys.join('.');
    let origin = origins.get(dotted);
    for (let n = keys.length - 1; origin === undefined && n > 0; n--) {
      // A missing or wrongly typed section: blame the flag or file that set anything inside it.
      const prefix = keys.slice(0, n).join('.');
      origin = origins.get(prefix) ?? [...origins].find(([k]) => k.startsWith(`${prefix}.`))?.[1];
    }
    origin ??= source ? displayPath(source) : 'config';
    const where = origin.startsWith('--') ? origin : `${origin}: ${dotted || '(top level)'}`;
    throw new ConfigError(`${where}: ${issueMessage(issue, keys, ConfigSchema)}`, { path: dotted });
  }
  const config = result.output as DdimConfig;
  const { betas, total_steps } = config.diffusion.params;
  if (betas && betas.length !== total_steps) {
    const origin = origins.get('diffusion.params.betas') ?? (source ? displayPath(source) : 'config');
    throw new ConfigError(`${origin}: diffusion.params.betas: expected total_steps (${total_steps}) values, got ${betas.length}`, { path: 'diffusion.params.betas' });
  }
  checkBetaRange(config, origins, source);
  return source ? { ...config, source } : config;
}

/**
 * β_start and β_end bound every β of the linear, quad and const schedules: one of 1 or more
 * makes ᾱ zero or negative, and every sample NaN. (cosine sets its own, below 0.999.)
 */
function checkBetaRange(config: DdimConfig, origins: Map<string, string>, source: string | undefined): void {
  const params = config.diffusion.params;
  if (params.betas || params.beta_schedule === 'cosine') return;
  for (const key of ['beta_start', 'beta_end'] as const) {
    if (params[key] < 1) continue;
    const path = `diffusion.params.${key}`;
    const origin = origins.get(path) ?? (source ? displayPath(source) : 'config');
    const where = origin.startsWith('--') ? origin : `${origin}: ${path}`;
    throw new ConfigError(`${where}: expected a number in (0, 1) (a β of 1 or more makes ᾱ zero or negative), got ${params[key]}`, { path });
  }
}

/** Apply overrides to a raw config, recording where each value came from. */
export function applyOverrides(layer: Layer, overrides: readonly Override[], cwd: string): Layer {
  const data = structuredClone(layer.data);
  const origins = new Map(layer.origins);
  for (const override of overrides) {
    let value = override.value;
    if (PATH_KEYS.includes(override.path) && typeof value === 'string' && value !== '' && !isAbsolute(value)) value = resolve(cwd, value);
    if (override.path === 'plugins' && Array.isArray(value)) {
      value = value.map((p: unknown) => (typeof p === 'string' && isPluginPath(p) ? resolve(cwd, p) : p));
    }
    if (override.append && Array.isArray(value)) {
      const prior = getPath(data, override.path);
      value = [...(Array.isArray(prior) ? prior : []), ...value];
    }
    setPath(data, override.path, value);
    recordOrigins(value, override.path, override.origin, origins);
  }
  return { data, origins };
}

function finishPaths(config: DdimConfig, cwd: string): DdimConfig {
  const sampler = { ...config.sampler };
  for (const key of ['weights', 'input_dir', 'mask_dir', 'mask', 'save_dir', 'noise'] as const) {
    const value = sampler[key];
    if (typeof value === 'string' && value !== '' && !isAbsolute(value)) sampler[key] = resolve(cwd, value);
  }
  return { ...config, sampler };
}

/**
 * Load and validate a config: file (and what it extends) < overrides, over defaults.
 *
 * @example
 * const config = loadConfig('configs/ddpm_cifar10.yaml', {
 *   overrides: [parseOverride('diffusion.params.skip_steps=50')],
 * });
 */
export function loadConfig(file: string | undefined, options: LoadConfigOptions = {}): DdimConfig {
  const cwd = options.cwd ?? process.cwd();
  const base: Layer = file ? readLayer(resolve(cwd, file), []) : { data: {}, origins: new Map() };
  for (const override of options.overrides ?? []) {
    // Files may carry training-only sections, which the sampler never reads: an override
    // naming one (or any other key outside the sampler's) would silently do nothing.
    const key = override.path.split('.')[0]!;
    if (!CONFIG_KEYS.includes(key)) {
      const option = RUN_OPTIONS.find((o) => o.name === key || o.path.endsWith(`.${key}`));
      const hint = OVERRIDE_HINTS[key] ?? (option ? ` (did you mean ${option.path}=… or --${option.name}?)` : didYouMean(key, CONFIG_KEYS));
      throw new ConfigError(`${override.origin}: unknown top-level key "${key}"; valid keys: ${CONFIG_KEYS.join(', ')}${hint}`, { path: key });
    }
  }
  const layer = applyOverrides(base, options.overrides ?? [], cwd);
  const source = file ? resolve(cwd, file) : undefined;
  for (const key of Object.keys(layer.data)) {
    if (!KNOWN_TOP_LEVEL_KEYS.includes(key)) {
      options.onWarning?.(`${source ? displayPath(source) : 'config'}: ignoring unknown top-level key "${key}"${didYouMean(key, KNOWN_TOP_LEVEL_KEYS)}`);
    }
  }
  return finishPaths(validateConfig(layer.data, layer.origins, source), cwd);
}

/** Build a config from an in-memory object (library use), validated the same way. */
export function configFromObject(raw: Record<string, unknown>, options: LoadConfigOptions = {}): DdimConfig {
  const cwd = options.cwd ?? process.cwd();
  const origins = new Map<string, string>();
  recordOrigins(raw, '', 'config', origins);
  const layer = applyOverrides({ data: structuredClone(raw), origins }, options.overrides ?? [], cwd);
  return finishPaths(validateConfig(layer.data, layer.origins), cwd);
}

/**
 * A validated config with overrides applied on top (a request's fields, say), validated
 * again as a whole, exactly as loadConfig applies its overrides.
 *
 * @example
 * const config = withOverrides(pipeline.config, runOptionOverrides({ n_samples: 4 }));
 */
export function withOverrides(config: DdimConfig, overrides: readonly Override[], cwd = '/'): DdimConfig {
  const data: Record<string, unknown> = { ...config };
  const layer = applyOverrides({ data, origins: new Map() }, overrides, cwd);
  return validateConfig(layer.data, layer.origins);
}
