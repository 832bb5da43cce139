/**
 * Classifier-free guidance (Ho & Salimans 2021) as the original code base's DDIM step does it
 * (diffusions/classifier_free.py), with its scale s = w + 1: s = 0 unconditional, s = 1
 * conditional, s > 1 guided. Each model output is first turned into ε (pred_x0 via
 * ε = (√(1/ᾱ)·x − x0)/√(1/ᾱ − 1); pred_v via ε = √ᾱ·v + √(1−ᾱ)·x), then
 * ε = (1 − s)·ε_u + s·ε_c, or a plugin's guidance rule (../guidance-rule.ts, whose step
 * type lives here to keep this file a leaf); the DDIM step then takes ε as an ε-prediction
 * (x0 from ε, clip, ε again from the clipped x0). Rounded to float32 per operation, as the
 * rest of the step.
 */
const f32 = Math.fround;

/** The model's objective (ddim-step.ts's Objective; spelled out here to keep this file a leaf). */
type Objective = 'pred_eps' | 'pred_x0' | 'pred_v';

/** How one timestep's model output becomes ε. */
export interface EpsConversion {
  readonly objective: Objective;
  /** √(1/ᾱ_t) */
  readonly r: number;
  /** √(1/ᾱ_t − 1) */
  readonly rm1: number;
  /** √ᾱ_t */
  readonly sa: number;
  /** √(1 − ᾱ_t) */
  readonly s1a: number;
}

export function epsConversion(objective: Objective, alpha: number): EpsConversion {
  const inverse = f32(1 / alpha);
  return {
    objective,
    r: f32(Math.sqrt(inverse)),
    rm1: f32(Math.sqrt(f32(inverse - 1))),
    sa: f32(Math.sqrt(alpha)),
    s1a: f32(Math.sqrt(f32(1 - alpha))),
  };
}

function toEps(c: EpsConversion, x: number, out: number): number {
  switch (c.objective) {
    case 'pred_eps':
      return out;
    case 'pred_x0':
      return f32(f32(f32(c.r * x) - out) / c.rm1);
    case 'pred_v':
      return f32(f32(c.sa * out) + f32(c.s1a * x));
  }
}

/**
 * The ε of `count` items at x (`size` values each) from the output rows [first, first + count)
 * into eps. `outStride`: values per output row (2·size for learned-variance networks: the
 * first half is read). A guided call holds the rows with the class first and those without
 * after them (first = count); a rule then combines the two (./guidance-rule.ts).
 */
export function outputEps(c: EpsConversion, x: Float32Array, out: Float32Array, count: number, size: number, outStride: number, first: number, eps: Float32Array): void {
  for (let s = 0; s < count; s++) {
    const base = s * size;
    const row = (first + s) * outStride;
    for (let j = 0; j < size; j++) eps[base + j] = toEps(c, x[base + j]!, out[row + j]!);
  }
}

/**
 * One guided model call, ready to combine. The first `count`·`size` values of every array are
 * this call's, item by item (buffers may be longer: they are reused), valid only during the
 * call; the rule writes those values of `out` and allocates nothing (it runs once per step).
 */
export interface GuidanceStep<O> {
  /** The rule's own options, validated by its schema (sampler.options.<name>). */
  readonly options: O;
  /** The run's guidance scale s (sampler.guidance_scale): the rule is asked only for s ∉ {0, 1}. */
  readonly scale: number;
  /** Sampling (from high t down) or DDIM inversion (reconstruction's way up). */
  readonly direction: 'sample' | 'invert';
  /** Position of this step's timestep in `timesteps`: a sampling pass goes from the last down to 0. */
  readonly index: number;
  /** The timestep the model was asked at (timesteps[index]). */
  readonly t: number;
  /** The run's ascending timesteps. */
  readonly timesteps: readonly number[];
  /** T, the length of the model's chain. */
  readonly totalSteps: number;
  /** Items in this call, and values per item (C·H·W). */
  readonly count: number;
  readonly size: number;
  /** x_t of the items. */
  readonly x: Float32Array;
  /** The network's ε with each item's class, and without a class (other objectives are turned into ε first). */
  readonly epsCond: Float32Array;
  readonly epsUncond: Float32Array;
  /** Where the rule writes the guided ε. Items without a class get ε_u afterwards, whatever the rule wrote. */
  readonly out: Float32Array;
}

/**
 * The original's classifier-free guidance (diffusions/classifier_free.py): ε = (1 − s)·ε_u + s·ε_c,
 * rounded to float32 per operation, over values [from, to) of the step (default: all). The
 * built-in `cfg` rule is this; a rule of your own can call it for the steps it guides.
 */
export function classifierFreeGuidance(step: GuidanceStep<unknown>, from = 0, to = step.count * step.size): void {
  const { epsCond, epsUncond, out } = step;
  const scale = f32(step.scale);
  const keep = f32(1 - step.scale);
  for (let j = from; j < to; j++) out[j] = f32(f32(keep * epsUncond[j]!) + f32(scale * epsCond[j]!));
}

type Writable<T> = { -readonly [K in keyof T]: T[K] };

/** What the engine needs of a guidance rule (core/guidance-rule.ts's GuidancePlugin) and its validated options. */
export interface GuidanceCombiner {
  readonly rule: { combine(step: GuidanceStep<any>): void };
  readonly options: unknown;
}

/**
 * A conditional network's ε for one call, guided: each output row turned into ε, and for a
 * guided call (the rows with and without the class) the guidance rule's combination of the
 * two. Buffers grow to the largest batch, then every step reuses them and the rule's step
 * object: nothing is allocated per step.
 */
export class GuidedEps {
  readonly #combine: (step: GuidanceStep<unknown>) => void;
  readonly #step: Writable<GuidanceStep<unknown>>;
  #eps = new Float32Array(0);
  #epsCond = new Float32Array(0);
  #epsUncond = new Float32Array(0);

  /** `choice` absent: the original's rule, the built-in `cfg`. */
  constructor(choice: GuidanceCombiner | undefined, scale: number, timesteps: readonly number[], totalSteps: number, size: number) {
    const rule = choice?.rule;
    this.#combine = rule ? (step) => rule.combine(step) : classifierFreeGuidance;
    const empty = this.#eps;
    this.#step = {
      options: choice?.options,
      scale,
      direction: 'sample',
      index: 0,
      t: 0,
      timesteps,
      totalSteps,
      count: 0,
      size,
      x: empty,
      epsCond: empty,
      epsUncond: empty,
      out: empty,
    };
  }

  /** Room for `values` values per buffer; guided calls need ε_c and ε_u apart. */
  reserve(values: number, guided: boolean): void {
    if (this.#eps.length < values) this.#eps = new Float32Array(values);
    if (guided && this.#epsCond.length < values) {
      this.#epsCond = new Float32Array(values);
      this.#epsUncond = new Float32Array(values);
    }
  }

  /**
   * The ε of `count` items at x from a call's output (`rowsPerItem`·count rows at timesteps[index]):
   * with one row per item that row's ε; with two (the class rows first) the rule's combination,
   * where an item whose class row had none (labels[s] < 0) takes ε_u, as the original's.
   * Valid until the next call.
   */
  of(c: EpsConversion, x: Float32Array, out: Float32Array, count: number, rowsPerItem: 1 | 2, labels: ArrayLike<number>, index: number, direction: 'sample' | 'invert'): Float32Array {
    const eps = this.#eps;
    const step = this.#step;
    const size = step.size;
    const outStride = out.length / (rowsPerItem * count);
    if (rowsPerItem === 1) {
      outputEps(c, x, out, count, size, outStride, 0, eps);
      return eps;
    }
    outputEps(c, x, out, count, size, outStride, 0, this.#epsCond);
    outputEps(c, x, out, count, size, outStride, count, this.#epsUncond);
    step.direction = direction;
    step.index = index;
    step.t = step.timesteps[index]!;
    step.count = count;
    step.x = x;
    step.epsCond = this.#epsCond;
    step.epsUncond = this.#epsUncond;
    step.out = eps;
    this.#combine(step);
    for (let s = 0; s < count; s++) {
      if (labels[s]! >= 0) continue;
      for (let j = s * size, end = j + size; j < end; j++) eps[j] = this.#epsUncond[j]!;
    }
    return eps;
  }
}
