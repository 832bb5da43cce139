/**
 * The pipeline every front end shares: config -> schedule + model + DDIM engine -> a mode
 * plugin -> rendered results handed to a sink (files for the CLI, memory for the server).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { DdimConfig } from './config/schema.ts';
import { firstLine, UserError } from './errors.ts';
import { encodePng, pictureSize, renderPicture } from './io/images.ts';
import { sha256File } from './io/sha256.ts';
import { directoryImageSource } from './io/image-source.ts';
import { type NpyArray, parseNpy } from './io/npy.ts';
import { alphasCumprod } from './math/betas.ts';
import type { DiffusionModel } from './model/model.ts';
import { loadOnnxModel } from './model/onnx-model.ts';
import { initialNoiseSource } from './noise/initial-noise.ts';
import type { ImageSource, ModeBatch, ModeContext, ModePlan } from './plugin.ts';
import { Registry, pluginOptions } from './registry.ts';
import { DdimSampler, type StepEvent } from './sampler.ts';

/** What a sink is told before the first result. */
export interface RunInfo {
  readonly config: DdimConfig;
  readonly mode: string;
  /** Where the mode starts: noise (seeded or sampler.noise) or the images in sampler.input_dir. */
  readonly startsFrom: 'noise' | 'images';
  readonly plan: ModePlan;
  readonly timesteps: readonly number[];
  readonly seed: number;
  readonly model: { readonly path: string; readonly sha256: string; readonly providers: readonly string[] };
  /** One sample's geometry (the model's input). */
  readonly shape: { readonly channels: number; readonly height: number; readonly width: number };
  readonly picture: { readonly width: number; readonly height: number; readonly channels: number };
}

export interface RunSummary {
  readonly items: number;
  /** Items written by this run (fewer than `items` when a resumed run skipped finished ones). */
  readonly computed: number;
  readonly timings: { readonly totalMs: number; readonly itemsPerSecond: number };
}

/** Where results go. PNG bytes are identical whatever the sink. */
export interface ResultSink {
  begin(info: RunInfo): void | Promise<void>;
  /** Whether items [start, start+count) are already there (a resumed run skips them). */
  isDone(start: number, count: number): boolean;
  write(batch: ModeBatch, pngs: readonly Uint8Array[]): Promise<void>;
  finish(summary: RunSummary): Promise<void>;
  /** The run failed or was cancelled: drop partial state. */
  abort(): Promise<void>;
}

export interface Progress extends StepEvent {
  /** Items finished so far, of `items`. */
  readonly itemsDone: number;
  readonly items: number;
  readonly elapsedMs: number;
}

export interface RunOptions {
  readonly sink: ResultSink;
  /** This run's config (e.g. a request's), sharing the pipeline's model; default: the pipeline's. */
  readonly config?: DdimConfig;
  /** Initial noises; default: the config's sampler.noise file, else seeded. */
  readonly noise?: NpyArray;
  /** Input images; default: the config's sampler.input_dir. */
  readonly inputs?: ImageSource;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: Progress) => void;
  /** Every k steps, the predicted x0 of the current batch (C·H·W per sample, in [−1, 1]). */
  readonly previewEvery?: number;
  readonly onPreview?: (x0: Float32Array, step: number, steps: number) => void;
}

export interface PipelineDeps {
  /** The modes and schedules to run (the package root's createPipeline defaults to the built-ins). */
  readonly registry: Registry;
  readonly model?: DiffusionModel;
  /** Receives non-fatal notes (e.g. a fallback from CUDA to CPU). */
  readonly onWarning?: (message: string) => void;
}

const BORDER = 2;

export class Pipeline {
  readonly config: DdimConfig;
  readonly registry: Registry;
  readonly model: DiffusionModel;
  readonly modelSha256: string;
  readonly #ownsModel: boolean;
  readonly #alphas = new Map<string, Float32Array>();

  constructor(config: DdimConfig, registry: Registry, model: DiffusionModel, modelSha256: string, ownsModel: boolean) {
    this.config = config;
    this.registry = registry;
    this.model = model;
    this.modelSha256 = modelSha256;
    this.#ownsModel = ownsModel;
  }

  /** The timestep sequence a config asks for, checked. */
  timesteps(config: DdimConfig = this.config): number[] {
    const params = config.diffusion.params;
    const schedule = this.registry.get('schedule', params.skip_type, 'diffusion.params.skip_type');
    const options = pluginOptions(schedule, config.sampler.options[schedule.name], `sampler.options.${schedule.name}`);
    const steps = params.skip_steps ?? undefined;
    const sequence = [...schedule.timesteps({ totalSteps: params.total_steps, steps, options })];
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

  #alphasFor(config: DdimConfig): Float32Array {
    const p = config.diffusion.params;
    const key = JSON.stringify([p.total_steps, p.beta_schedule, p.beta_start, p.beta_end, p.betas]);
    let alphas = this.#alphas.get(key);
    if (!alphas) {
      alphas = alphasCumprod({ totalSteps: p.total_steps, betaSchedule: p.beta_schedule, betaStart: p.beta_start, betaEnd: p.beta_end, betas: p.betas });
      this.#alphas.set(key, alphas);
    }
    return alphas;
  }

  /** Run the config's mode and hand every finished micro-batch to the sink. */
  async run(options: RunOptions): Promise<RunSummary> {
    const config = options.config ?? this.config;
    const started = performance.now();
    const { sink, signal } = options;
    const { channels, height, width } = this.model.info;
    const sampler = config.sampler;
    const mode = this.registry.get('mode', sampler.mode, 'sampler.mode');
    const modeOptions = pluginOptions(mode, sampler.options[mode.name], `sampler.options.${mode.name}`);
    const timesteps = this.timesteps(config);
    const size = channels * height * width;
    if ((options.noise || sampler.noise) && mode.startsFrom === 'images') {
      throw new UserError(`--noise (sampler.noise): mode "${mode.name}" starts from its input images, not from noise; leave it out`, { path: 'sampler.noise' });
    }
    const noise = options.noise ?? (sampler.noise ? readNoiseFile(sampler.noise) : undefined);
    const initialNoise = initialNoiseSource(config.seed, [channels, height, width], noise, sampler.noise ?? 'noise');
    let inputs: ImageSource | undefined = options.inputs;

    let items = 0;
    let itemsDone = 0;
    const onStep = options.onProgress
      ? (event: StepEvent) => options.onProgress!({ ...event, itemsDone, items, elapsedMs: performance.now() - started })
      : undefined;
    const engine = new DdimSampler(
      this.model,
      {
        alphasCumprod: this.#alphasFor(config),
        timesteps,
        objective: config.diffusion.params.objective,
        clipDenoised: config.diffusion.params.clip_denoised,
        eta: config.diffusion.params.eta,
        seed: config.seed,
      },
      { signal, onStep, previewEvery: options.previewEvery, onPreview: options.onPreview },
    );
    const context: ModeContext<unknown> = {
      config,
      options: modeOptions,
      seed: config.seed,
      nSamples: sampler.n_samples,
      microBatch: sampler.micro_batch,
      shape: { channels, height, width },
      sampler: engine,
      initialNoise,
      async inputs() {
        if (!inputs) {
          if (!sampler.input_dir) throw new UserError(`mode "${mode.name}" needs input images: give --input_dir DIR (sampler.input_dir)`, { path: 'sampler.input_dir' });
          if (sampler.save_dir && resolve(sampler.save_dir) === resolve(sampler.input_dir)) {
            throw new UserError(
              `--input_dir and --save_dir are the same folder (${sampler.input_dir}): its results would be read back as inputs; give another --save_dir (a subfolder works)`,
              { path: 'sampler.save_dir' },
            );
          }
          inputs = directoryImageSource(sampler.input_dir, height, channels, sampler.save_dir);
        }
        return inputs;
      },
      isDone: (start, count) => sink.isDone(start, count),
      signal,
    };
    const plan = await mode.plan(context);
    items = plan.count;
    const layout = { channels, height, width, frames: plan.framesPerItem, border: BORDER };
    const picture = pictureSize(layout);
    await sink.begin({
      config,
      mode: mode.name,
      startsFrom: mode.startsFrom ?? 'noise',
      plan,
      timesteps,
      seed: config.seed,
      model: { path: this.model.info.path, sha256: this.modelSha256, providers: this.model.info.providers },
      shape: { channels, height, width },
      picture: { ...picture, channels },
    });

    // PNG encoding and writing of one batch overlap with the next batch's model calls.
    let pending: Promise<void> = Promise.resolve();
    let computed = 0;
    try {
      for await (const batch of mode.run(context, plan)) {
        const frames = batch.frames ?? batch.samples;
        const perItem = plan.framesPerItem * size;
        const encoding = Promise.all(
          Array.from({ length: batch.count }, (_, i) =>
            encodePng(renderPicture(frames, i * perItem, layout), picture.width, picture.height, channels),
          ),
        );
        await pending;
        pending = encoding.then((pngs) => sink.write(batch, pngs));
        computed += batch.count;
        itemsDone = Math.max(itemsDone, batch.start + batch.count);
      }
      await pending;
    } catch (error) {
      await pending.catch(() => undefined);
      await sink.abort();
      throw error;
    }
    const totalMs = performance.now() - started;
    const summary: RunSummary = { items, computed, timings: { totalMs, itemsPerSecond: computed / (totalMs / 1000) } };
    await sink.finish(summary);
    return summary;
  }

  async dispose(): Promise<void> {
    if (this.#ownsModel) await this.model.dispose();
  }
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

/**
 * Load the model and plugins a config names and return the shared pipeline.
 *
 * @example
 * const config = loadConfig('models/ddpm_fashion_mnist.yaml');
 * const pipeline = await createPipeline(config);
 * await pipeline.run({ sink: memorySink() });
 */
export async function createPipeline(config: DdimConfig, deps: PipelineDeps): Promise<Pipeline> {
  const { registry } = deps;
  await registry.load(config.plugins);
  const { sampler, data } = config;
  let model = deps.model;
  if (!model) {
    if (!sampler.weights) throw new UserError('no model file: give --weights MODEL.onnx (sampler.weights)', { path: 'sampler.weights' });
    model = await loadOnnxModel(sampler.weights, {
      providers: sampler.providers,
      intraOpThreads: sampler.intra_op_threads,
      interOpThreads: sampler.inter_op_threads,
      expect: { channels: data.img_channels, size: data.img_size },
      onWarning: deps.onWarning,
    });
  }
  const sha = deps.model ? '' : sha256File(sampler.weights!);
  return new Pipeline(config, registry, model, sha, !deps.model);
}
