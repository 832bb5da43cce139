/**
 * Classifier-free guidance (Ho & Salimans 2021) as the original code base's DDIM step does it
 * (diffusions/classifier_free.py), with its scale s = w + 1: s = 0 unconditional, s = 1
 * conditional, s > 1 guided. Each model output is first turned into ε (pred_x0 via
 * ε = (√(1/ᾱ)·x − x0)/√(1/ᾱ − 1); pred_v via ε = √ᾱ·v + √(1−ᾱ)·x), then
 * ε = (1 − s)·ε_u + s·ε_c (or a plugin's rule, core/guidance-rule.ts); the DDIM step then takes ε as an ε-prediction (x0 from ε, clip,
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
