import { describe, expect, test } from 'bun:test';
import { applyStep, createStepCoefficients, inversionCoefficients, samplingCoefficients } from './ddim-step.ts';

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
