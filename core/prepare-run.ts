/**
 * Resolving a run once: mode and its options, schedule and its timesteps, ᾱ, the initial
 * noise, the inputs and the mode's plan and cost. The CLI and the server both run the
 * value this returns; nothing is resolved or validated a second time.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { DdimConfig } from './config/schema.ts';
import { firstLine, PluginError, UserError } from './errors.ts';
import { directoryImageSource } from './io/image-files.ts';
import { directoryMaskSource, singleMaskSource } from './io/mask-files.ts';
import type { ImageSource } from './io/image-source.ts';
import { type NpyArray, parseNpy } from './io/npy.ts';
import type { ModelInfo } from './model/model.ts';
import { initialNoiseSource } from './noise/initial-noise.ts';
import { type ModePlan, type ModePlugin, type PlanContext, planCost } from './plugin.ts';
import { type Registry, pluginOptions } from './registry.ts';
import type { PreparedRun, RunSources } from './run-types.ts';


/** What preparing needs of the pipeline. */
export interface PrepareDeps {
  readonly registry: Registry;
  readonly modelInfo: ModelInfo;
  /** ᾱ for a config (the pipeline caches it per beta schedule). */
  readonly alphasFor: (config: DdimConfig) => Float32Array;
}

/** The timestep sequence a config asks for, checked. */
export function scheduleTimesteps(registry: Registry, config: DdimConfig): number[] {
  const params = config.diffusion.params;
  const schedule = registry.get('schedule', params.skip_type, 'diffusion.params.skip_type');
  const options = pluginOptions(schedule, config.sampler.options[schedule.name], `sampler.options.${schedule.name}`);
  const steps = params.skip_steps ?? undefined;
  const returned = schedule.timesteps({ totalSteps: params.total_steps, steps, options });
  // Checked before copying: a schedule that returns more than T entries repeats timesteps.
  if (!Array.isArray(returned) || returned.length > params.total_steps) {
    const got = Array.isArray(returned) ? `${returned.length} entries` : describeValue(returned);
    throw new UserError(`schedule "${schedule.name}" returned ${got}: expected a list of at most total_steps (${params.total_steps}) ascending timesteps`);
  }
  const sequence: number[] = [...returned];
  const bad = sequence.findIndex((t, i) => !Number.isInteger(t) || t < 0 || t >= params.total_steps || (i > 0 && t < sequence[i - 1]!));
  if (sequence.length === 0 || bad !== -1) {
    throw new UserError(
      `schedule "${schedule.name}" returned an invalid sequence` +
        (bad === -1 ? ' (empty)' : ` at entry ${bad} (${sequence[bad]})`) +
        `: expected ascending integers in [0, ${params.total_steps})`,
    );
  }
  return sequence;
}

function describeValue(value: unknown): string {
  return value === null ? 'null' : typeof value === 'object' ? 'an object' : typeof value;
}

function readNoiseFile(path: string): NpyArray {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new UserError(`cannot read noise file ${path}: ${firstLine(error)}`, { path: 'sampler.noise' });
  }
  return parseNpy(bytes, path);
}

/** The input images of a run, opened once and only when the mode asks for them. */
function inputsOnce(config: DdimConfig, mode: ModePlugin, modelInfo: ModelInfo, given: ImageSource | undefined): () => Promise<ImageSource> {
  let inputs = given;
  const { input_dir: inputDir, save_dir: saveDir } = config.sampler;
  return async () => {
    if (inputs) return inputs;
    if (!inputDir) throw new UserError(`mode "${mode.name}" needs input images: give --input_dir DIR (sampler.input_dir)`, { path: 'sampler.input_dir' });
    if (saveDir && resolve(saveDir) === resolve(inputDir)) {
      throw new UserError(
        `--input_dir and --save_dir are the same folder (${inputDir}): its results would be read back as inputs; give another --save_dir (a subfolder works)`,
        { path: 'sampler.save_dir' },
      );
    }
    inputs = directoryImageSource(inputDir, modelInfo.height, modelInfo.channels, saveDir);
    return inputs;
  };
}

/** The masks of a run's inputs, opened once and only when the mode asks for them. */
function masksOnce(config: DdimConfig, mode: ModePlugin, modelInfo: ModelInfo, given: ImageSource | undefined, inputs: () => Promise<ImageSource>): () => Promise<ImageSource> {
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
    masks = mask ? singleMaskSource(mask, source.count, modelInfo.height) : directoryMaskSource(maskDir!, inputDir ?? '', source, modelInfo.height);
    return masks;
  };
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
  const { registry, modelInfo } = deps;
  const { sampler } = config;
  const mode = registry.get('mode', sampler.mode, 'sampler.mode');
  const modeOptions = pluginOptions(mode, sampler.options[mode.name], `sampler.options.${mode.name}`);
  const timesteps = scheduleTimesteps(registry, config);
  if ((sources.noise || sampler.noise) && mode.startsFrom === 'images') {
    throw new UserError(`--noise (sampler.noise): mode "${mode.name}" starts from its input images, not from noise; leave it out`, { path: 'sampler.noise' });
  }
  const { channels, height, width } = modelInfo;
  const noise = sources.noise ?? (sampler.noise ? readNoiseFile(sampler.noise) : undefined);
  const initialNoise = initialNoiseSource(config.seed, [channels, height, width], noise, sampler.noise ?? 'noise');
  const inputs = inputsOnce(config, mode, modelInfo, sources.inputs);
  const planContext: PlanContext<unknown> = {
    config,
    options: modeOptions,
    seed: config.seed,
    nSamples: sampler.n_samples,
    microBatch: sampler.micro_batch,
    shape: { channels, height, width },
    steps: timesteps.length,
    timesteps,
    inputs,
    masks: masksOnce(config, mode, modelInfo, sources.masks, inputs),
  };
  const plan = await mode.plan(planContext);
  checkPlan(mode, plan);
  const perItem = planCost(plan, timesteps.length);
  const rows = plan.count * perItem.rowsPerItem;
  return {
    config,
    mode,
    modeOptions,
    timesteps,
    alphasCumprod: deps.alphasFor(config),
    plan,
    cost: { ...perItem, rows, work: rows * perItem.callsPerRow },
    planContext,
    initialNoise,
  };
}
