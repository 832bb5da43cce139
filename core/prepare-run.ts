/**
 * Resolving a run once: mode and its options, schedule and its timesteps, ᾱ, the initial
 * noise, the inputs and the mode's plan and cost. The CLI and the server both run the
 * value this returns; nothing is resolved or validated a second time.
 */
import { oneLine, firstLine, PluginError, UserError } from './errors.ts';
import type { DdimConfig } from './config/schema.ts';
import type { ImageSource } from './io/image-source.ts';
import { type NpyArray, parseNpy, parseNpyHeader } from './io/npy.ts';
import type { ModelInfo } from './model/model.ts';
import { initialNoiseSource } from './noise/initial-noise.ts';
import { type ModePlan, type ModePlugin, type PlanContext, planCost } from './plugin.ts';
import { checkSizes, checkTotalSteps, formatBytes, memoryBudget } from './run-size-limits.ts';
import { type Registry, pluginOptions } from './registry.ts';
import { askSchedule, betaParams, scheduleContext } from './schedule-timesteps.ts';
import { type DiffusionChain, diffusionChain } from './math/betas.ts';
import type { RunHost } from './run-host.ts';
import type { GuidanceChoice } from './guidance-rule.ts';
import { planClasses } from './classes.ts';
import type { PreparedRun, RunSources } from './run-types.ts';
import { type OpenedSources, runWarnings } from './run-warnings.ts';

/** What preparing needs of the pipeline. */
export interface PrepareDeps {
  readonly registry: Registry;
  readonly modelInfo: ModelInfo;
  /** β and ᾱ for a config (the pipeline caches them per beta schedule). */
  readonly chainFor: (config: DdimConfig) => DiffusionChain;
  /** Files named in the config, and the machine's memory. */
  readonly host: RunHost;
}

/**
 * The timestep sequence a config asks for, checked: its schedule asked with the model's
 * chain (`chain`: the config's β and ᾱ, computed here when not given) and its own options.
 *
 * @example
 * const timesteps = scheduleTimesteps(createDefaultRegistry(), loadConfig('ddim.yaml'));
 */
export function scheduleTimesteps(registry: Registry, config: DdimConfig, chain: DiffusionChain = diffusionChain(betaParams(config))): number[] {
  const schedule = registry.get('schedule', config.diffusion.params.skip_type, 'diffusion.params.skip_type');
  const options = pluginOptions(schedule, config.sampler.options[schedule.name], `sampler.options.${schedule.name}`);
  return askSchedule(schedule, scheduleContext(config, chain, options));
}

/** sampler.guidance's default: the original's rule. */
const DEFAULT_GUIDANCE = 'cfg';

/**
 * The guidance rule a config names (sampler.guidance) and its checked options. The default,
 * `cfg`, is the original's rule: a registry made without the built-ins gets it from the core.
 */
export function guidanceChoice(registry: Registry, config: DdimConfig): GuidanceChoice | undefined {
  const name = config.sampler.guidance;
  if (name === DEFAULT_GUIDANCE && !registry.names('guidance').includes(name)) return undefined;
  const rule = registry.get('guidance', name, 'sampler.guidance');
  return { rule, options: pluginOptions(rule, config.sampler.options[rule.name], `sampler.options.${rule.name}`) };
}

/**
 * The --noise file, read and checked. Its size and the shape it declares are checked against
 * the budget before anything is allocated: the bytes read and their float32 copy are two
 * copies, so a file may take half of it.
 */
function readNoiseFile(host: RunHost, path: string, modelInfo: ModelInfo): NpyArray {
  const shown = oneLine(path);
  const fail = (what: string) => new UserError(`--noise ${shown}: ${what}`, { path: 'sampler.noise' });
  const rowBytes = 4 * modelInfo.channels * modelInfo.height * modelInfo.width;
  const budget = memoryBudget(host) / 2;
  const tooLarge = (what: string) =>
    fail(`${what}; at most ${Math.floor(budget / rowBytes)} rows of [${modelInfo.channels},${modelInfo.height},${modelInfo.width}] float32 fit in ${formatBytes(budget)}`);
  let bytes: Uint8Array;
  try {
    const size = host.fileSize(path);
    if (size === undefined) throw fail('not a file; expected a .npy array [N,C,H,W]');
    if (size > budget) throw tooLarge(`the file is ${formatBytes(size)}`);
    bytes = host.readFile(path);
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(`cannot read noise file ${shown}: ${oneLine(firstLine(error))}`, { path: 'sampler.noise' });
  }
  const header = parseNpyHeader(bytes, shown);
  if (header.count * 4 > budget) throw tooLarge(`shape [${header.shape}] is ${formatBytes(header.count * 4)} of float32`);
  return parseNpy(bytes, shown);
}

/** The input images of a run, opened once and only when the mode asks for them. */
function inputsOnce(host: RunHost, config: DdimConfig, mode: ModePlugin, modelInfo: ModelInfo, given: ImageSource | undefined): () => Promise<ImageSource> {
  let inputs = given;
  const { input_dir: inputDir, save_dir: saveDir } = config.sampler;
  return async () => {
    if (inputs) return inputs;
    if (!inputDir) throw new UserError(`mode "${mode.name}" needs input images: give --input_dir DIR (sampler.input_dir)`, { path: 'sampler.input_dir' });
    if (saveDir && host.samePath(saveDir, inputDir)) {
      throw new UserError(
        `--input_dir and --save_dir are the same folder (${inputDir}): its results would be read back as inputs; give another --save_dir (a subfolder works)`,
        { path: 'sampler.save_dir' },
      );
    }
    inputs = host.imageFolder(inputDir, modelInfo.height, modelInfo.channels, saveDir);
    return inputs;
  };
}

/** The masks of a run's inputs, opened once and only when the mode asks for them. */
function masksOnce(host: RunHost, config: DdimConfig, mode: ModePlugin, modelInfo: ModelInfo, given: ImageSource | undefined, inputs: () => Promise<ImageSource>): () => Promise<ImageSource> {
  let masks = given;
  const { mask_dir: maskDir, mask, input_dir: inputDir } = config.sampler;
  return async () => {
    if (masks) return masks;
    if (maskDir && mask) throw new UserError('--mask_dir and --mask: give one of them, not both', { path: 'sampler.mask' });
    if (!maskDir && !mask) {
      throw new UserError(`mode "${mode.name}" needs masks: give --mask_dir DIR (one per input image, same name) or --mask FILE (one for all); white = keep`, {
        path: 'sampler.mask_dir',
      });
    }
    const source = await inputs();
    masks = mask ? host.maskFile(mask, source.count, modelInfo.height) : host.maskFolder(maskDir!, inputDir ?? '', source, modelInfo.height);
    return masks;
  };
}

/**
 * DDIM divides by √ᾱ_t: a β schedule whose product underflows to 0 in float32 at a visited
 * timestep (β_end near 1 over a long chain) turns every sample into NaN.
 */
function checkAlphas(config: DdimConfig, alphas: Float32Array, timesteps: readonly number[]): void {
  const t = timesteps.find((step) => !(alphas[step]! > 0));
  if (t === undefined) return;
  const p = config.diffusion.params;
  const betas = p.betas
    ? 'the βs of diffusion.params.betas'
    : `beta_schedule ${p.beta_schedule} ${p.beta_schedule === 'const' ? `at ${p.beta_end}` : `from ${p.beta_start} to ${p.beta_end}`}`;
  throw new UserError(
    `diffusion.params: ᾱ is ${alphas[t]} at timestep ${t} (${betas} over ${p.total_steps} steps), and DDIM divides by √ᾱ; lower beta_end or total_steps`,
    { path: 'diffusion.params.beta_end' },
  );
}

const isCount = (n: unknown, min: number): boolean => Number.isInteger(n) && (n as number) >= min;

function checkPlan(mode: ModePlugin, plan: ModePlan): void {
  const fail = (what: string) => {
    throw new PluginError(mode.name, `plan(): ${what}`);
  };
  if (plan === null || typeof plan !== 'object') fail('expected { count, itemShape, framesPerItem, latents }');
  if (!isCount(plan.count, 0)) fail(`count must be a whole number, got ${plan.count}`);
  if (!Array.isArray(plan.itemShape) || !plan.itemShape.every((n) => isCount(n, 1))) fail('itemShape must be a list of whole numbers ≥ 1');
  if (!isCount(plan.framesPerItem, 1)) fail(`framesPerItem must be a whole number ≥ 1, got ${plan.framesPerItem}`);
  if (plan.cost && !(isCount(plan.cost.rowsPerItem, 1) && isCount(plan.cost.callsPerRow, 0))) fail('cost must have whole rowsPerItem ≥ 1 and callsPerRow ≥ 0');
}

/**
 * Resolve and check everything a run of `config` needs before its first model call.
 * Throws a UserError naming the config key at fault.
 */
export async function prepareRun(deps: PrepareDeps, config: DdimConfig, sources: RunSources = {}): Promise<PreparedRun> {
  const { registry, modelInfo, host } = deps;
  const { sampler } = config;
  const mode = registry.get('mode', sampler.mode, 'sampler.mode');
  const modeOptions = pluginOptions(mode, sampler.options[mode.name], `sampler.options.${mode.name}`);
  const guidance = guidanceChoice(registry, config);
  checkTotalSteps(host, config);
  const chain = deps.chainFor(config);
  const timesteps = scheduleTimesteps(registry, config, chain);
  if ((sources.noise || sampler.noise) && mode.startsFrom === 'images') {
    throw new UserError(`--noise (sampler.noise): mode "${mode.name}" starts from its input images, not from noise; leave it out`, { path: 'sampler.noise' });
  }
  const { channels, height, width } = modelInfo;
  const noise = sources.noise ?? (sampler.noise ? readNoiseFile(host, sampler.noise, modelInfo) : undefined);
  const initialNoise = initialNoiseSource(config.seed, [channels, height, width], noise, sampler.noise ?? 'noise');
  // Kept as they open, for the warnings about what they pass over.
  const opened: OpenedSources = {};
  const openInputs = inputsOnce(host, config, mode, modelInfo, sources.inputs);
  const inputs = async () => (opened.inputs = await openInputs());
  const openMasks = masksOnce(host, config, mode, modelInfo, sources.masks, inputs);
  const classes = planClasses(config, modelInfo);
  const planContext: PlanContext<unknown> = {
    config,
    options: modeOptions,
    seed: config.seed,
    nSamples: classes.count ?? sampler.n_samples,
    classOf: classes.classOf,
    microBatch: sampler.micro_batch,
    shape: { channels, height, width },
    steps: timesteps.length,
    timesteps,
    inputs,
    masks: async () => (opened.masks = await openMasks()),
  };
  const plan = await mode.plan(planContext);
  checkPlan(mode, plan);
  if (sampler.classes !== null && plan.count !== sampler.classes.length) {
    throw new UserError(`--classes (sampler.classes): ${sampler.classes.length} classes for ${plan.count} items of mode "${mode.name}"; give one class per item`, {
      path: 'sampler.classes',
    });
  }
  const perItem = planCost(plan, timesteps.length);
  checkSizes(host, config, mode, plan, perItem, planContext.shape);
  const alphasCumprod = chain.alphasCumprod;
  checkAlphas(config, alphasCumprod, timesteps);
  const rows = plan.count * perItem.rowsPerItem;
  // Guidance (s ∉ {0, 1}) evaluates each row with and without its class in the same call.
  const guidanceRows = modelInfo.classInput && sampler.guidance_scale !== 0 && sampler.guidance_scale !== 1 ? 2 : 1;
  const warnings = await runWarnings(config, mode, plan, { ...opened, nSamplesAsked: sources.nSamplesAsked ?? true }, modelInfo);
  return {
    config,
    classes,
    mode,
    modeOptions,
    guidance,
    timesteps,
    alphasCumprod,
    plan,
    cost: { ...perItem, rows, guidanceRows, work: rows * perItem.callsPerRow * guidanceRows },
    planContext,
    initialNoise,
    warnings,
  };
}
