/**
 * The DDIM update (Song et al., ICLR 2021, eq. 12), as the reference sampler computes it.
 *
 * Each step's scalars are folded once into a StepCoefficients record, so the per-element
 * work is one fused pass over preallocated Float32Arrays. Every operation is rounded to
 * float32 in the reference's order (Math.fround): the inversion divides by √(1/ᾱ − 1),
 * about 0.01 near t = 0, and then amplifies any difference in the last bits.
 *   s    = r·x
 *   x0   = cx·x + cm·m              (m: the model output; for ε-prediction cx·x is s)
 *   x0   = clamp(x0, −1, 1)         (when clip_denoised)
 *   ε    = (s − x0) / rm1
 *   next = a0·x0 + ae·ε + σ·z
 */

export type Objective = 'pred_eps' | 'pred_x0' | 'pred_v';
export const OBJECTIVES: readonly Objective[] = ['pred_eps', 'pred_x0', 'pred_v'];

/** One step's scalars, each already rounded to float32. */
export interface StepCoefficients {
  cx: number;
  cm: number;
  /** √(1/ᾱ_t) */
  r: number;
  /** √(1/ᾱ_t − 1) */
  rm1: number;
  a0: number;
  ae: number;
  sigma: number;
}

export function createStepCoefficients(): StepCoefficients {
  return { cx: 0, cm: 0, r: 0, rm1: 0, a0: 0, ae: 0, sigma: 0 };
}

const f32 = Math.fround;

/** x0 from x and the model output, and ε from x and x0, at ᾱ_t = alpha (shared by both directions). */
function setPrediction(c: StepCoefficients, objective: Objective, alpha: number): void {
  const inverse = f32(1 / alpha);
  c.r = f32(Math.sqrt(inverse));
  c.rm1 = f32(Math.sqrt(f32(inverse - 1)));
  switch (objective) {
    case 'pred_eps':
      c.cx = c.r;
      c.cm = -c.rm1;
      break;
    case 'pred_x0':
      c.cx = 0;
      c.cm = 1;
      break;
    case 'pred_v':
      c.cx = f32(Math.sqrt(alpha));
      c.cm = -f32(Math.sqrt(f32(1 - alpha)));
      break;
  }
}

/**
 * Coefficients of one sampling step t -> t_prev.
 * alpha: ᾱ_t; alphaPrev: ᾱ_{t_prev} (1 when t is the first entry of the sequence).
 */
export function samplingCoefficients(
  out: StepCoefficients,
  objective: Objective,
  alpha: number,
  alphaPrev: number,
  eta: number,
): StepCoefficients {
  setPrediction(out, objective, alpha);
  const variance = f32(eta * eta * ((1 - alphaPrev) / (1 - alpha)) * (1 - alpha / alphaPrev));
  out.sigma = f32(Math.sqrt(Math.max(variance, 0)));
  out.a0 = f32(Math.sqrt(alphaPrev));
  out.ae = f32(Math.sqrt(Math.max(f32(f32(1 - alphaPrev) - variance), 0)));
  return out;
}

/** Coefficients of one inversion step t -> t_next (deterministic, σ = 0). */
export function inversionCoefficients(
  out: StepCoefficients,
  objective: Objective,
  alpha: number,
  alphaNext: number,
): StepCoefficients {
  setPrediction(out, objective, alpha);
  out.sigma = 0;
  out.a0 = f32(Math.sqrt(alphaNext));
  out.ae = f32(Math.sqrt(f32(1 - alphaNext)));
  return out;
}

/**
 * One fused step over `count` samples of `size` elements, in place on x.
 *
 * modelOutput holds `outStride` values per sample (2·size for learned-variance models,
 * whose first half is the prediction). noise, when σ > 0, holds count·size normals.
 * x0Out, when given, receives the clipped x0 prediction (for previews).
 */
export function applyStep(
  c: StepCoefficients,
  x: Float32Array,
  modelOutput: Float32Array,
  count: number,
  size: number,
  outStride: number,
  clip: boolean,
  noise: Float32Array | null,
  x0Out: Float32Array | null = null,
): void {
  const { cx, cm, r, rm1, a0, ae, sigma } = c;
  const useNoise = noise !== null && sigma > 0;
  for (let s = 0; s < count; s++) {
    const base = s * size;
    const outBase = s * outStride;
    for (let j = 0; j < size; j++) {
      const i = base + j;
      const xi = x[i]!;
      const scaled = f32(r * xi);
      let x0 = f32(f32(cx * xi) + f32(cm * modelOutput[outBase + j]!));
      if (clip) x0 = x0 < -1 ? -1 : x0 > 1 ? 1 : x0;
      if (x0Out !== null) x0Out[i] = x0;
      const eps = f32(f32(scaled - x0) / rm1);
      let next = f32(a0 * x0) + f32(ae * eps);
      if (useNoise) next = f32(next) + f32(sigma * noise[i]!);
      x[i] = next;
    }
  }
}
