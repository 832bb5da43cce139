/**
 * Validating a config, its layers and overrides: pure (no file system), so that the server's
 * per-request overrides and the edge's in-memory configs run on every runtime. Reading
 * config files (and `extends`) is ./load-config.ts.
 */
import * as v from 'valibot';
import { parse as parseYaml } from 'yaml';
import { ConfigError, firstLine, oneLine, quoteText } from '../errors.ts';
import { issueMessage } from './issue-message.ts';
import { type Override, getPath, isPlainObject, setPath } from './overrides.ts';
import { PATH_KEYS, displayPath, isAbsolutePath, isPluginPath, resolvePath } from './paths.ts';
import { adoptDataParams } from './data-params.ts';
import { adoptClassOverrides } from './class-overrides.ts';
import { adoptRespaceNames, adoptRespaceOverrides } from './respace-names.ts';
import { ConfigSchema, type DdimConfig } from './schema.ts';
import { MAX_NESTING, RESERVED_KEYS, findStructureProblem } from './structure-limits.ts';

export interface LoadConfigOptions {
  /** Applied after the file, in order (CLI flags last, so they win). */
  readonly overrides?: readonly Override[];
  /** Directory that relative paths in overrides and defaults are taken from (default: cwd). */
  readonly cwd?: string;
  /** Receives non-fatal notes, e.g. an unknown top-level key. */
  readonly onWarning?: (message: string) => void;
}

export interface Layer {
  readonly data: Record<string, unknown>;
  /** Which file or flag set each dotted leaf path. */
  readonly origins: Map<string, string>;
}

/**
 * Each leaf's dotted path → the file or flag that set it. The value's shape is checked first
 * (./structure-limits.ts), so that no deeper or larger value than a config needs is walked.
 */
export function recordOrigins(data: unknown, prefix: string, origin: string, origins: Map<string, string>): void {
  const problem = findStructureProblem(data);
  if (problem) {
    const path = [prefix, ...problem.path.map(String)].filter((key) => key !== '').join('.');
    const reserved = RESERVED_KEYS.has(String(problem.path.at(-1)));
    const why = reserved ? `"${String(problem.path.at(-1))}" cannot be a config key (it names a JavaScript object's prototype)` : problem.message;
    throw new ConfigError(`${origin}: ${path === '' ? '(top level)' : quoteText(path, 200)}: ${why}`, { path });
  }
  recordLeaves(data, prefix, origin, origins);
}

function recordLeaves(data: unknown, prefix: string, origin: string, origins: Map<string, string>): void {
  if (isPlainObject(data)) {
    for (const [key, value] of Object.entries(data)) recordLeaves(value, prefix ? `${prefix}.${key}` : key, origin, origins);
  } else {
    origins.set(prefix, origin);
  }
}

/** Objects merge key by key; anything else (lists included) is replaced. */
export function deepMerge(base: Record<string, unknown>, top: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(top)) {
    const prior = out[key];
    out[key] = isPlainObject(prior) && isPlainObject(value) ? deepMerge(prior, value) : value;
  }
  return out;
}

/**
 * YAML text as a config mapping; `shown` names it in messages.
 */
export function parseConfigYaml(text: string, shown: string): Record<string, unknown> {
  let data: unknown;
  try {
    // logLevel 'error': a YAML warning (an unknown tag, say) must not print lines of its own.
    data = parseYaml(text, { logLevel: 'error' });
  } catch (error) {
    // The parser recurses per level: a document nested thousands deep overflows the stack (the
    // parser may wrap that RangeError in an error of its own). Its first line ends
    // "at line 2, column 1:", introducing a code excerpt left out here.
    const overflow = error instanceof RangeError || /call stack/i.test(firstLine(error));
    const reason = overflow ? `nested too deeply (at most ${MAX_NESTING} levels are accepted)` : firstLine(error).replace(/:\s*$/, '');
    throw new ConfigError(`${shown}: not valid YAML: ${oneLine(reason)}`);
  }
  if (data === null || data === undefined) data = {};
  if (!isPlainObject(data)) throw new ConfigError(`${shown}: expected a mapping of keys at the top level, got ${Array.isArray(data) ? 'a list' : typeof data}`);
  return data;
}

/**
 * Validate a raw (already merged) config object.
 * `origins` maps dotted paths to the file or flag that set them, for messages.
 */
export function validateConfig(raw: Record<string, unknown>, givenOrigins: Map<string, string>, source?: string): DdimConfig {
  const origins = new Map(givenOrigins);
  const result = v.safeParse(ConfigSchema, adoptDataParams(raw, origins));
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
    const hint = dotted === 'data.img_size' && issue.received === 'undefined' ? ' (data.img_size, or data.params.img_size as the current original code base writes it)' : '';
    throw new ConfigError(`${where}: ${issueMessage(issue, keys, ConfigSchema)}${hint}`, { path: dotted });
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
  for (const override of adoptRespaceOverrides(adoptClassOverrides(overrides))) {
    let value = override.value;
    if (PATH_KEYS.includes(override.path) && typeof value === 'string' && value !== '' && !isAbsolutePath(value)) value = resolvePath(cwd, value);
    if (override.path === 'plugins' && Array.isArray(value)) {
      value = value.map((p: unknown) => (typeof p === 'string' && isPluginPath(p) ? resolvePath(cwd, p) : p));
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

export function finishPaths(config: DdimConfig, cwd: string): DdimConfig {
  const sampler = { ...config.sampler };
  for (const key of ['weights', 'input_dir', 'mask_dir', 'mask', 'save_dir', 'noise'] as const) {
    const value = sampler[key];
    if (typeof value === 'string' && value !== '' && !isAbsolutePath(value)) sampler[key] = resolvePath(cwd, value);
  }
  return { ...config, sampler };
}

/** Build a config from an in-memory object (library use), validated the same way. */
export function configFromObject(raw: Record<string, unknown>, options: LoadConfigOptions = {}): DdimConfig {
  const cwd = options.cwd ?? (globalThis as { process?: { cwd?: () => string } }).process?.cwd?.() ?? '/';
  const data = adoptRespaceNames(structuredClone(raw), 'config');
  const origins = new Map<string, string>();
  recordOrigins(data, '', 'config', origins);
  const layer = applyOverrides({ data, origins }, options.overrides ?? [], cwd);
  return finishPaths(validateConfig(layer.data, layer.origins), cwd);
}

/**
 * A config from YAML text (a worker's bundled asset, a browser's fetch), validated like a
 * file; `extends` needs files and is refused.
 *
 * @example
 * const config = configFromText(await (await fetch('/config.yaml')).text());
 */
export function configFromText(text: string, options: LoadConfigOptions & { readonly name?: string } = {}): DdimConfig {
  const shown = options.name ?? 'config';
  const data = parseConfigYaml(text, shown);
  if (data.extends !== undefined) throw new ConfigError(`${shown}: extends: a config given as text cannot extend a file; merge the files first`, { path: 'extends' });
  return configFromObject(data, options);
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
