/** The types a run hands its sink and its caller: shared by the pipeline and every front. */
import type { ClassPlan, RunLabels } from './classes.ts';
import type { DdimConfig } from './config/schema.ts';
import type { ImageSource } from './io/image-source.ts';
import type { NpyArray } from './io/npy.ts';
import type { DiffusionModel } from './model/model.ts';
import type { ModeBatch, ModeCost, ModeInput, ModePlan, ModePlugin, PlanContext } from './plugin.ts';
import type { StepEvent } from './sampler.ts';
import type { GuidanceChoice } from './guidance-rule.ts';

/** What a sink is told before the first result. */
export interface RunInfo {
  readonly config: DdimConfig;
  readonly mode: string;
  /** Where the mode starts: noise (seeded or sampler.noise) or the images in sampler.input_dir. */
  readonly startsFrom: 'noise' | 'images';
  /** The inputs the mode takes besides noise (images, masks). */
  readonly inputs: readonly ModeInput[];
  readonly plan: ModePlan;
  /** K of --n_samples_each_class: items are written class-major to class{c}/{i − c·K}.png. */
  readonly perClass?: number;
  /** Each item's class, when every item has one (a conditional model's run): run.json records it. */
  readonly labels?: RunLabels;
  readonly timesteps: readonly number[];
  readonly seed: number;
  /** The model file's SHA-256, and its network's (the file less its model card) where they differ. */
  readonly model: { readonly path: string; readonly sha256: string; readonly network_sha256?: string; readonly providers: readonly string[] };
  /** One sample's geometry (the model's input). */
  readonly shape: { readonly channels: number; readonly height: number; readonly width: number };
  readonly picture: { readonly width: number; readonly height: number; readonly channels: number };
  /** The prepared run's warnings: what it passes over or changes without failing. */
  readonly warnings: readonly string[];
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
  /** The run failed or was cancelled: drop partial state. `error` says why (an AbortedError when cancelled). */
  abort(error?: unknown): Promise<void>;
}

export interface Progress extends StepEvent {
  /** Items finished so far, of `items`. */
  readonly itemsDone: number;
  readonly items: number;
  readonly elapsedMs: number;
}

/** What a run starts from besides its config (defaults: the config's noise file and input_dir). */
export interface RunSources {
  /** Initial noises; default: the config's sampler.noise file, else seeded. */
  readonly noise?: NpyArray;
  /** Input images; default: the config's sampler.input_dir. */
  readonly inputs?: ImageSource;
  /** Masks of the input images (one channel); default: the config's sampler.mask_dir or sampler.mask. */
  readonly masks?: ImageSource;
  /**
   * Whether the caller asked for n_samples (a flag, a request field), so that fewer results
   * (fewer input images) are worth a warning; default true. A config's standing value is not.
   */
  readonly nSamplesAsked?: boolean;
}

/** How one prepared run is carried out. */
export interface RunHooks {
  readonly sink: ResultSink;
  readonly signal?: AbortSignal;
  /**
   * Evaluate on this view of the pipeline's model instead (a step scheduler's lane); it
   * must take the same inputs.
   */
  readonly model?: DiffusionModel;
  readonly onProgress?: (progress: Progress) => void;
  /** Every k steps, the predicted x0 of the current batch (C·H·W per sample, in [−1, 1]). */
  readonly previewEvery?: number;
  readonly onPreview?: (x0: Float32Array, step: number, steps: number) => void;
}

/** `pipeline.run`'s options: what to prepare (this config, these sources) and how to run it. */
export interface RunOptions extends RunHooks, RunSources {
  /** This run's config (e.g. a request's), sharing the pipeline's model; default: the pipeline's. */
  readonly config?: DdimConfig;
}

/** A run resolved and checked, ready to be carried out (possibly on a scheduler lane). */
export interface PreparedRun {
  readonly config: DdimConfig;
  readonly mode: ModePlugin;
  readonly modeOptions: unknown;
  /** The guidance rule and its options (undefined: the original's, when no `cfg` is registered). */
  readonly guidance: GuidanceChoice | undefined;
  /** Ascending timesteps the sampler visits. */
  readonly timesteps: readonly number[];
  /** ᾱ_t for t = 0..T−1. */
  readonly alphasCumprod: Float32Array;
  readonly plan: ModePlan;
  /** The class of each item (conditional models), and the class-major layout of --n_samples_each_class. */
  readonly classes: ClassPlan;
  /**
   * The plan's cost, with its totals: rows in flight, model rows per row in each call (2 when
   * guided: with and without the class) and model rows over the whole run.
   */
  readonly cost: ModeCost & { readonly rows: number; readonly guidanceRows: 1 | 2; readonly work: number };
  /** The context the mode planned with; the run extends it. */
  readonly planContext: PlanContext<unknown>;
  initialNoise(out: Float32Array, offset: number, stream: number): void;
  /** What the run passes over or changes without failing, one line each (./run-warnings.ts). */
  readonly warnings: readonly string[];
}
