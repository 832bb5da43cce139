/**
 * The public plugin contract. Modes, schedules and guidance rules, built-in or third-party, are plain
 * objects with a `kind`, a `name`, an optional valibot schema for their own options,
 * and their hook.
 */
import type * as v from 'valibot';
import type { DdimConfig } from './config/schema.ts';
import type { ImageSource } from './io/image-source.ts';
import type { DdimSampler } from './sampler.ts';
import type { GuidancePlugin } from './guidance-rule.ts';

/**
 * What a schedule is asked for: the model's forward process and what the run asked. Timestep
 * t (0-based) has noise level ᾱ_t; σ_t = √((1 − ᾱ_t) / ᾱ_t) for schedules spaced in σ.
 */
export interface ScheduleContext<O> {
  /** T, the number of diffusion steps the model was trained with (diffusion.params.total_steps). */
  readonly totalSteps: number;
  /** How many sampling steps were asked for (skip_steps); undefined: every timestep. */
  readonly steps: number | undefined;
  /** The schedule's own options, validated by its schema (defaults filled in). */
  readonly options: O;
  /** β_t for t = 0..T−1 (float64), from the config's beta_schedule or its betas list. */
  readonly betas: ArrayLike<number>;
  /** ᾱ_t = Π_{s≤t}(1 − β_s) for t = 0..T−1, in float32: the very values the engine steps with. */
  readonly alphasCumprod: ArrayLike<number>;
}

export interface SchedulePlugin<O = any> {
  readonly kind: 'schedule';
  readonly name: string;
  readonly description?: string;
  readonly options?: v.GenericSchema<unknown, O>;
  /** The timesteps to visit, ascending, each in [0, T). */
  timesteps(context: ScheduleContext<O>): readonly number[];
}

/** What one result item costs the model: the server admits and batches requests by it. */
export interface ModeCost {
  /** Samples the model carries per item at each step (interpolation: one per frame). */
  readonly rowsPerItem: number;
  /** Model calls per row over the whole run (reconstruction: 2·steps − 1, inversion included). */
  readonly callsPerRow: number;
  /** The run option that sets rowsPerItem when it is not 1 (named when a request is too large). */
  readonly rowsSetBy?: string;
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
  /** Default: one row per item, one model call per sampling step. */
  readonly cost?: ModeCost;
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

/** What a mode knows when it plans, before any model call. */
export interface PlanContext<O> {
  readonly config: DdimConfig;
  readonly options: O;
  readonly seed: number;
  /** Items the run asks for (with --n_samples_each_class K: num_classes·K). */
  readonly nSamples: number;
  /**
   * The class of result item `item` for a conditional model (−1: none): hand it to the
   * sampler as `labels` per row, and it adds the unconditional rows guidance needs.
   */
  classOf(item: number): number;
  /** Samples per model call (the config's micro_batch); a mode caps it by its own row count. */
  readonly microBatch: number;
  readonly shape: { readonly channels: number; readonly height: number; readonly width: number };
  /** Sampling steps: the model calls of one denoising pass. */
  readonly steps: number;
  /** The ascending timesteps the sampler visits (steps of them). */
  readonly timesteps: readonly number[];
  /** Input images (sampler.input_dir, or a request's); throws a UserError when there are none. */
  inputs(): Promise<ImageSource>;
  /**
   * One mask per input image (sampler.mask_dir or sampler.mask, or a request's): one channel,
   * H·W values in [−1, 1] each, white (1) = keep. Throws a UserError when there are none.
   */
  masks(): Promise<ImageSource>;
}

export interface ModeContext<O> extends PlanContext<O> {
  /** The shared DDIM engine over the model, schedule and eta of this run. */
  readonly sampler: DdimSampler;
  /** Fill out[offset..) with x_T of `stream`: the --noise file's row, or seeded noise. */
  initialNoise(out: Float32Array, offset: number, stream: number): void;
  /** Whether items [start, start+count) already exist (a resumed run skips them). */
  isDone(start: number, count: number): boolean;
  readonly signal: AbortSignal | undefined;
}

/** Inputs a mode can take besides noise; the fronts offer them (--input_dir and --mask_dir, a request's images and masks). */
export type ModeInput = 'images' | 'masks';

/** Run options (RUN_OPTIONS names) every mode reads; a mode lists any other it reads in `reads`. */
export const COMMON_RUN_OPTIONS: readonly string[] = ['n_samples', 'seed', 'ddim_eta', 'skip_type', 'skip_steps'];

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
  /** Inputs the mode requires (default: images when it starts from them, else none). */
  readonly inputs?: readonly ModeInput[];
  /** Run options it reads beyond COMMON_RUN_OPTIONS, e.g. ['n_interpolate']: a request may set them. */
  readonly reads?: readonly string[];
  plan(context: PlanContext<O>): ModePlan | Promise<ModePlan>;
  /** Yield finished micro-batches in item order; drive `context.sampler`, never reimplement the update. */
  run(context: ModeContext<O>, plan: ModePlan): AsyncIterable<ModeBatch>;
}

/** The inputs a mode declares, by default images for a mode that starts from them. */
export function modeInputs(mode: ModePlugin): readonly ModeInput[] {
  return mode.inputs ?? (mode.startsFrom === 'images' ? ['images'] : []);
}

/** A plan's cost, by default one row per item and one model call per sampling step. */
export function planCost(plan: ModePlan, steps: number): ModeCost {
  return plan.cost ?? { rowsPerItem: 1, callsPerRow: steps };
}

/** Items in one micro-batch of `microBatch` model rows: at least one, at most the plan's `count`. */
export function itemsPerBatch(microBatch: number, rowsPerItem: number, count: number): number {
  return Math.min(count, Math.max(1, Math.floor(microBatch / rowsPerItem)));
}

export type Plugin = ModePlugin | SchedulePlugin | GuidancePlugin;

/** A module a config's `plugins:` list names: its default export, or a `plugins` array. */
export type PluginModule = { default?: Plugin | readonly Plugin[]; plugins?: readonly Plugin[] };

/** A plugin's options schema: valibot, any input, `O` out. */
export type OptionsSchema<O = unknown> = v.GenericSchema<unknown, O>;

/** A plugin object as written, before `kind` is added; with a schema, `O` is what it outputs. */
type Definition<P extends Plugin, S extends OptionsSchema> = Omit<P, 'kind' | 'options'> & { readonly options: S };

/**
 * Identity helpers: they only give a plugin object its types. The options type comes from
 * the `options` schema (`v.InferOutput`), so it is written once; a plugin without options
 * gets `undefined`. The older form `defineMode<{ at: number }>({...})`, which names the type
 * itself, still compiles.
 *
 * @example
 * export default defineSchedule({
 *   name: 'strided',
 *   options: v.strictObject({ stride: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 100) }),
 *   timesteps: ({ totalSteps, options }) => range(0, totalSteps, options.stride), // options.stride: number
 * });
 */
export function defineSchedule<S extends OptionsSchema>(plugin: Definition<SchedulePlugin<v.InferOutput<S>>, S>): SchedulePlugin<v.InferOutput<S>>;
export function defineSchedule<O = undefined>(plugin: Omit<SchedulePlugin<O>, 'kind'>): SchedulePlugin<O>;
export function defineSchedule(plugin: Omit<SchedulePlugin, 'kind'>): SchedulePlugin {
  return { kind: 'schedule', ...plugin };
}

export function defineMode<S extends OptionsSchema>(plugin: Definition<ModePlugin<v.InferOutput<S>>, S>): ModePlugin<v.InferOutput<S>>;
export function defineMode<O = undefined>(plugin: Omit<ModePlugin<O>, 'kind'>): ModePlugin<O>;
export function defineMode(plugin: Omit<ModePlugin, 'kind'>): ModePlugin {
  return { kind: 'mode', ...plugin };
}

/**
 * A guidance rule (./guidance-rule.ts): how a guided step combines ε_c and ε_u.
 *
 * @example
 * export default defineGuidance({
 *   name: 'late',
 *   options: v.strictObject({ below: v.optional(v.number(), 500) }),
 *   combine(step) { step.t < step.options.below ? classifierFreeGuidance(step) : step.out.set(step.epsCond); },
 * });
 */
export function defineGuidance<S extends OptionsSchema>(plugin: Definition<GuidancePlugin<v.InferOutput<S>>, S>): GuidancePlugin<v.InferOutput<S>>;
export function defineGuidance<O = undefined>(plugin: Omit<GuidancePlugin<O>, 'kind'>): GuidancePlugin<O>;
export function defineGuidance(plugin: Omit<GuidancePlugin, 'kind'>): GuidancePlugin {
  return { kind: 'guidance', ...plugin };
}
