/**
 * Load a YAML config (with `extends:`), apply overrides, validate it with valibot and
 * resolve its paths: the one place a config becomes a DdimConfig.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError, firstLine, oneLine } from '../errors.ts';
import { didYouMean } from '../suggest.ts';
import { withoutInheritedClassChoice } from './class-overrides.ts';
import { getPath, setPath } from './overrides.ts';
import { PATH_KEYS, displayPath, isAbsolutePath, isPluginPath } from './paths.ts';
import { adoptRespaceNames } from './respace-names.ts';
import { describeValue } from './describe-value.ts';
import { RUN_OPTIONS } from './run-options.ts';
import { type DdimConfig, KNOWN_TOP_LEVEL_KEYS } from './schema.ts';
import {
  type Layer,
  type LoadConfigOptions,
  applyOverrides,
  deepMerge,
  finishPaths,
  parseConfigYaml,
  recordOrigins,
  validateConfig,
} from './validate-config.ts';

export { configFromObject, configFromText, validateConfig, withOverrides, type LoadConfigOptions } from './validate-config.ts';

/** The top-level keys the toolkit itself reads, offered when an override names another. */
const CONFIG_KEYS = ['seed', 'data', 'diffusion', 'sampler', 'server', 'plugins'];

/** The keys of the original's training-only `model` section that the sampler reads. */
const MODEL_KEYS = ['model.null_class'];

/** Top-level keys a file may hold but an override may not set, and what to do instead. */
const OVERRIDE_HINTS: Record<string, string> = {
  model: ' (the sampler reads the network from an ONNX file: --weights FILE or sampler.weights=FILE; of this section it reads model.null_class)',
  extends: ' (extends is read from a config file only)',
  train: ' (a training-only section: the sampler never reads it)',
  dataloader: ' (a training-only section: the sampler never reads it)',
};

/** Make a file's own relative paths absolute, so they survive `extends` and merging. */
function resolvePathsIn(data: Record<string, unknown>, baseDir: string): void {
  for (const key of PATH_KEYS) {
    const value = getPath(data, key);
    if (typeof value === 'string' && value !== '' && !isAbsolutePath(value)) setPath(data, key, resolve(baseDir, value));
  }
  if (Array.isArray(data.plugins)) {
    data.plugins = data.plugins.map((p: unknown) => (typeof p === 'string' && isPluginPath(p) ? resolve(baseDir, p) : p));
  }
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
  const data = adoptRespaceNames(parseConfigYaml(text, shown), shown);
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
  return { data: deepMerge(withoutInheritedClassChoice(base.data, own), own), origins };
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
  const cwd = resolve(options.cwd ?? process.cwd());
  const base: Layer = file ? readLayer(resolve(cwd, file), []) : { data: {}, origins: new Map() };
  for (const override of options.overrides ?? []) {
    // Files may carry training-only sections, which the sampler never reads: an override
    // naming one (or any other key outside the sampler's) would silently do nothing.
    const key = override.path.split('.')[0]!;
    if (!CONFIG_KEYS.includes(key) && !MODEL_KEYS.includes(override.path)) {
      const option = RUN_OPTIONS.find((o) => o.name === key || o.path.endsWith(`.${key}`));
      const hint = (Object.hasOwn(OVERRIDE_HINTS, key) ? OVERRIDE_HINTS[key] : undefined) ?? (option ? ` (did you mean ${option.path}=… or --${option.name}?)` : didYouMean(key, CONFIG_KEYS));
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

