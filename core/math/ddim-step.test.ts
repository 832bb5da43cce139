import { describe, expect, test } from 'bun:test';
import { alphasCumprod } from './betas.ts';
import {
  OBJECTIVES,
  type Objective,
  type StepCoefficients,
  applyStep,
  createStepCoefficients,
  inversionCoefficients,
  samplingCoefficients,
} from './ddim-step.ts';

/** The parity README's formulas, written out plainly in float64 for one element. */
function reference(objective: string, x: number, m: number, a: number, ap: number, eta: number, clip: boolean, z: number) {
  let x0 = objective === 'pred_eps' ? Math.sqrt(1 / a) * x - Math.sqrt(1 / a - 1) * m : objective === 'pred_x0' ? m : Math.sqrt(a) * x - Math.sqrt(1 - a) * m;
  if (clip) x0 = Math.min(1, Math.max(-1, x0));
  const eps = (Math.sqrt(1 / a) * x - x0) / Math.sqrt(1 / a - 1);
  const s2 = eta * eta * ((1 - ap) / (1 - a)) * (1 - a / ap);
  return Math.sqrt(ap) * x0 + Math.sqrt(1 - ap - s2) * eps + Math.sqrt(s2) * z;
}

describe('applyStep', () => {
  const cases = [
    { objective: 'pred_eps', a: 0.5, ap: 0.8 },
    { objective: 'pred_x0', a: 0.3, ap: 0.9 },
    { objective: 'pred_v', a: 0.05, ap: 0.2 },
  ] as const;
  for (const { objective, a, ap } of cases) {
    for (const eta of [0, 0.5, 1]) {
      test(`matches the reference formula for ${objective} at eta ${eta}`, () => {
        const x = Float32Array.from([0.3, -1.7, 2.5, 0.01]);
        const m = Float32Array.from([0.9, -0.2, 3.1, -2.4]);
        const z = Float32Array.from([0.5, -1.1, 0.2, 1.7]);
        const expected = [...x].map((xi, i) => reference(objective, xi, m[i]!, a, ap, eta, true, z[i]!));
        const c = samplingCoefficients(createStepCoefficients(), objective, a, ap, eta);
        applyStep(c, x, m, 1, 4, 4, true, z);
        for (let i = 0; i < 4; i++) expect(x[i]!).toBeCloseTo(expected[i]!, 5);
      });
    }
  }

  test('without clipping, a pred_x0 model output passes through as x0', () => {
    const x = Float32Array.from([5]);
    const c = samplingCoefficients(createStepCoefficients(), 'pred_x0', 0.5, 1, 0);
    applyStep(c, x, Float32Array.from([3.5]), 1, 1, 1, false, null);
    expect(x[0]).toBe(3.5); // ᾱ_prev = 1: the last step returns x0 itself
  });

  test('reads only the first half of a learned-variance output', () => {
    const plain = Float32Array.from([0.2, 0.4]);
    const wide = Float32Array.from([0.2, 0.4]);
    const c = samplingCoefficients(createStepCoefficients(), 'pred_eps', 0.6, 0.9, 0);
    applyStep(c, plain, Float32Array.from([0.1, -0.3]), 1, 2, 2, true, null);
    applyStep(c, wide, Float32Array.from([0.1, -0.3, 99, 99]), 1, 2, 4, true, null);
    expect([...wide]).toEqual([...plain]);
  });

  test('inversion moves x0 and ε to the next, noisier ᾱ', () => {
    const x = Float32Array.from([0.5]);
    const m = Float32Array.from([0.2]);
    const a = 0.9;
    const an = 0.5;
    const x0 = Math.sqrt(1 / a) * 0.5 - Math.sqrt(1 / a - 1) * 0.2;
    const eps = (Math.sqrt(1 / a) * 0.5 - x0) / Math.sqrt(1 / a - 1);
    applyStep(inversionCoefficients(createStepCoefficients(), 'pred_eps', a, an), x, m, 1, 1, 1, true, null);
    expect(x[0]!).toBeCloseTo(Math.sqrt(an) * x0 + Math.sqrt(1 - an) * eps, 6);
  });
});

/**
 * The float32 rounding order itself. The tests above compare with float64 formulas to 5
 * digits, which any order passes; these compare bit for bit with every operation rounded in
 * the order the file's header gives, and show that the inputs tell that order apart from
 * float64 arithmetic rounded once.
 */
const f = Math.fround;
const ALPHAS = alphasCumprod({ totalSteps: 1000, betaSchedule: 'linear', betaStart: 0.0001, betaEnd: 0.02 });

/** setPrediction, spelled out: ᾱ in, the float32 scalars out. */
function predictionScalars(objective: Objective, a: number) {
  const inverse = f(1 / a);
  const r = f(Math.sqrt(inverse));
  const rm1 = f(Math.sqrt(f(inverse - 1)));
  const [cx, cm] = objective === 'pred_eps' ? [r, -rm1] : objective === 'pred_x0' ? [0, 1] : [f(Math.sqrt(a)), -f(Math.sqrt(f(1 - a)))];
  return { r, rm1, cx, cm };
}

/** One element of a step, every operation rounded to float32 in the documented order. */
function roundedStep(c: StepCoefficients, x: number, m: number, clip: boolean, z: number | null): { next: number; x0: number } {
  const scaled = f(c.r * x);
  let x0 = f(f(c.cx * x) + f(c.cm * m));
  if (clip) x0 = Math.min(1, Math.max(-1, x0));
  const eps = f(f(scaled - x0) / c.rm1);
  const deterministic = f(f(c.a0 * x0) + f(c.ae * eps));
  return { next: z === null || c.sigma === 0 ? deterministic : f(deterministic + f(c.sigma * z)), x0 };
}

/** The same element in float64 from the same coefficients, rounded once at the end. */
function unroundedStep(c: StepCoefficients, x: number, m: number, clip: boolean, z: number | null): number {
  let x0 = c.cx * x + c.cm * m;
  if (clip) x0 = Math.min(1, Math.max(-1, x0));
  return f(c.a0 * x0 + c.ae * ((c.r * x - x0) / c.rm1) + (z === null ? 0 : c.sigma * z));
}

/** Seeded values with a spread like a sampler's (a small LCG + Box–Muller, no Math.random). */
function normals(n: number, seed: number, scale: number): Float32Array {
  let state = seed >>> 0;
  const uniform = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  return Float32Array.from({ length: n }, () => scale * Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()));
}

describe('float32 rounding order', () => {
  test('step coefficients are the float32 values of the reference operations, for every t of a 1000-step schedule', () => {
    let unroundedDiffers = 0;
    for (const objective of OBJECTIVES) {
      for (let t = 1; t < 1000; t++) {
        const a = ALPHAS[t]!;
        const ap = ALPHAS[t - 1]!;
        const expected = predictionScalars(objective, a);
        const c = samplingCoefficients(createStepCoefficients(), objective, a, ap, 0);
        expect({ r: c.r, rm1: c.rm1, cx: c.cx, cm: c.cm }).toEqual(expected);
        expect([c.a0, c.ae, c.sigma]).toEqual([f(Math.sqrt(ap)), f(Math.sqrt(f(1 - ap))), 0]);
        const back = inversionCoefficients(createStepCoefficients(), objective, ap, a);
        expect([back.a0, back.ae]).toEqual([f(Math.sqrt(a)), f(Math.sqrt(f(1 - a)))]);
        if (f(Math.sqrt(1 / a - 1)) !== expected.rm1 || f(Math.sqrt(1 - ap)) !== c.ae) unroundedDiffers++;
      }
    }
    // Rounding 1/ᾱ and 1 − ᾱ before the square root changes the result for some t.
    expect(unroundedDiffers).toBeGreaterThan(0);
  });

  for (const objective of OBJECTIVES) {
    for (const [t, tPrev, eta] of [[900, 800, 0], [20, 0, 0], [0, -1, 0], [500, 400, 1]] as const) {
      test(`applyStep rounds every operation in the reference order: ${objective}, t ${t} -> ${tPrev}, eta ${eta}`, () => {
        const n = 4096;
        const x = normals(n, 1 + t, 1.5);
        const m = normals(n, 2 + t, 1.5);
        const z = normals(n, 3 + t, 1);
        const c = samplingCoefficients(createStepCoefficients(), objective, ALPHAS[t]!, tPrev < 0 ? 1 : ALPHAS[tPrev]!, eta);
        for (const clip of [true, false]) {
          const out = Float32Array.from(x);
          const x0Out = new Float32Array(n);
          applyStep(c, out, m, 1, n, n, clip, eta > 0 ? z : null, x0Out);
          let unroundedDiffers = 0;
          for (let i = 0; i < n; i++) {
            const expected = roundedStep(c, x[i]!, m[i]!, clip, eta > 0 ? z[i]! : null);
            if (out[i] !== expected.next || x0Out[i] !== expected.x0) {
              throw new Error(`element ${i} (x ${x[i]}, m ${m[i]}, clip ${clip}): got ${out[i]} / x0 ${x0Out[i]}, expected ${expected.next} / x0 ${expected.x0}`);
            }
            if (unroundedStep(c, x[i]!, m[i]!, clip, eta > 0 ? z[i]! : null) !== expected.next) unroundedDiffers++;
          }
          // pred_x0 at ᾱ_prev = 1 returns x0 itself whatever the order; every other case tells the orders apart.
          if (objective !== 'pred_x0' || tPrev >= 0) expect(unroundedDiffers).toBeGreaterThan(0);
        }
      });
    }
  }
});
