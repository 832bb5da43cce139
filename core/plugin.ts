/**
 * The public plugin contract. Modes and schedules, built-in or third-party, are plain
 * objects with a `kind`, a `name`, an optional valibot schema for their own options,
 * and their hook.
 */
import type * as v from 'valibot';
import type { DdimConfig } from './config/schema.ts';
import type { DdimSampler } from './sampler.ts';

/** What a schedule is asked for. */
export interface ScheduleContext<O> {
  /** T, the number of diffusion steps the model was trained with. */
  readonly totalSteps: number;
  /** How many sampling steps were asked for (skip_steps); undefined: every timestep. */
  readonly steps: number | undefined;
  readonly options: O;
}

export interface SchedulePlugin<O = any> {
  readonly kind: 'schedule';
  readonly name: string;
  readonly description?: string;
  readonly options?: v.GenericSchema<unknown, O>;
  /** The timesteps to visit, ascending, each in [0, T). */
  timesteps(context: ScheduleContext<O>): readonly number[];
}

/** Geometry and count of one mode's results, known before any sampling. */
export interface ModePlan {
  /** How many result items (PNG files) the run makes. */
  readonly count: number;
  /** Shape of one item in samples.npy, e.g. [C,H,W], or [K,C,H,W] for interpolation rows. */
  readonly itemShape: readonly number[];
  /** Pictures placed side by side in one item's PNG (1: a plain image). */
  readonly framesPerItem: number;
  /** Whether the mode also produces latents.npy (items of [C,H,W]). */
  readonly latents: boolean;
}

/** A finished micro-batch of results, in item order. */
export interface ModeBatch {
  /** Index of the first item. */
  readonly start: number;
  readonly count: number;
  /** count · prod(itemShape) values, clamped to [−1, 1]: the rows of samples.npy. */
  readonly samples: Float32Array;
  /** count · framesPerItem pictures of C·H·W values in [−1, 1] (default: samples). */
  readonly frames?: Float32Array;
  /** count · C·H·W inverted latents (modes with plan.latents). */
  readonly latents?: Float32Array;
}

/** Read-only source of input images in [−1, 1] (reconstruction and similar modes). */
export interface ImageSource {
  readonly count: number;
  /** File names or labels, in order. */
  readonly names: readonly string[];
  /** Write images [start, start+count) into out (count·C·H·W values). */
  read(start: number, count: number, out: Float32Array): Promise<void>;
}

export interface ModeContext<O> {
  readonly config: DdimConfig;
  readonly options: O;
  readonly seed: number;
  readonly nSamples: number;
  /** Samples per model call (the config's micro_batch); a mode caps it by its own row count. */
  readonly microBatch: number;
  readonly shape: { readonly channels: number; readonly height: number; readonly width: number };
  /** The shared DDIM engine over the model, schedule and eta of this run. */
  readonly sampler: DdimSampler;
  /** Fill out[offset..) with x_T of `stream`: the --noise file's row, or seeded noise. */
  initialNoise(out: Float32Array, offset: number, stream: number): void;
  /** Input images (from sampler.input_dir or a request); throws a UserError when there are none. */
  inputs(): Promise<ImageSource>;
  /** Whether items [start, start+count) already exist (a resumed run skips them). */
  isDone(start: number, count: number): boolean;
  readonly signal: AbortSignal | undefined;
}

export interface ModePlugin<O = any> {
  readonly kind: 'mode';
  readonly name: string;
  readonly description?: string;
  readonly options?: v.GenericSchema<unknown, O>;
  /**
   * Where sampling starts: seeded (or `--noise`) x_T, the default, or the input images
   * (`context.inputs()`); a mode that starts from images refuses a noise file.
   */
  readonly startsFrom?: 'noise' | 'images';
  plan(context: ModeContext<O>): ModePlan | Promise<ModePlan>;
  /** Yield finished micro-batches in item order; drive `context.sampler`, never reimplement the update. */
  run(context: ModeContext<O>, plan: ModePlan): AsyncIterable<ModeBatch>;
}

export type Plugin = ModePlugin | SchedulePlugin;

/** A module a config's `plugins:` list names: its default export, or a `plugins` array. */
export type PluginModule = { default?: Plugin | readonly Plugin[]; plugins?: readonly Plugin[] };

/** Identity helpers: they only give a plugin object its types. */
export function defineSchedule<O = undefined>(plugin: Omit<SchedulePlugin<O>, 'kind'>): SchedulePlugin<O> {
  return { kind: 'schedule', ...plugin };
}

export function defineMode<O = undefined>(plugin: Omit<ModePlugin<O>, 'kind'>): ModePlugin<O> {
  return { kind: 'mode', ...plugin };
}
