/**
 * Classifier-free guidance (Ho & Salimans 2021) as the original code base's DDIM step does it
 * (diffusions/classifier_free.py), with its scale s = w + 1: s = 0 unconditional, s = 1
 * conditional, s > 1 guided. Each model output is first turned into ε (pred_x0 via
 * ε = (√(1/ᾱ)·x − x0)/√(1/ᾱ − 1); pred_v via ε = √ᾱ·v + √(1−ᾱ)·x), then
 * ε = (1 − s)·ε_u + s·ε_c; the DDIM step then takes ε as an ε-prediction (x0 from ε, clip,
 * ε again from the clipped x0). Rounded to float32 per operation, as the rest of the step.
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

/** How a guided call's rows are laid out: `count` items, and the output rows of each. */
export interface GuidedRows {
  readonly count: number;
  readonly size: number;
  /** Values per output row (2·size for learned-variance networks: the first half is read). */
  readonly outStride: number;
  /**
   * 2: rows [0, count) conditional and [count, 2·count) unconditional; 1: one row per item,
   * conditional or not as the scale says (s = 1 or s = 0).
   */
  readonly rowsPerItem: 1 | 2;
  readonly scale: number;
  /** Per item: its class, or < 0 for none (its ε is the unconditional one). */
  readonly labels: ArrayLike<number> | undefined;
}

/** The guided ε of `count` items at x into eps (count·size values). */
export function guidedEps(c: EpsConversion, x: Float32Array, out: Float32Array, rows: GuidedRows, eps: Float32Array): void {
  const { count, size, outStride, rowsPerItem, labels } = rows;
  const scale = f32(rows.scale);
  const keep = f32(1 - rows.scale);
  for (let s = 0; s < count; s++) {
    const base = s * size;
    const cond = s * outStride;
    const uncond = rowsPerItem === 2 ? (count + s) * outStride : cond;
    const combine = rowsPerItem === 2 && !(labels !== undefined && labels[s]! < 0);
    for (let j = 0; j < size; j++) {
      const xi = x[base + j]!;
      const epsU = toEps(c, xi, out[uncond + j]!);
      eps[base + j] = combine ? f32(f32(keep * epsU) + f32(scale * toEps(c, xi, out[cond + j]!))) : epsU;
    }
  }
}
