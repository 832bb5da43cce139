/**
 * A conditional network's ε for one call, guided: each output row turned into ε, and for a
 * guided call (the rows with and without the class) the guidance rule's combination of the
 * two. Buffers grow to the largest batch, then every step reuses them and the rule's step
 * object: nothing is allocated per step.
 */
import { type EpsConversion, outputEps } from './math/guidance.ts';
import { type GuidancePlugin, type GuidanceStep, classifierFreeGuidance } from './guidance-rule.ts';

type Writable<T> = { -readonly [K in keyof T]: T[K] };

/** A guidance rule and its validated options. */
export interface GuidanceChoice {
  readonly rule: GuidancePlugin;
  readonly options: unknown;
}

export class GuidedEps {
  readonly #combine: (step: GuidanceStep<unknown>) => void;
  readonly #step: Writable<GuidanceStep<unknown>>;
  #eps = new Float32Array(0);
  #epsCond = new Float32Array(0);
  #epsUncond = new Float32Array(0);

  /** `choice` absent: the original's rule, the built-in `cfg`. */
  constructor(choice: GuidanceChoice | undefined, scale: number, timesteps: readonly number[], totalSteps: number, size: number) {
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
