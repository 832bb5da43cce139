/**
 * With eta > 0 the sampler is stochastic. For Gaussian data x0 ~ N(μ, s²) the exact ε is a
 * closed-form function of (x_t, ᾱ_t), built here as a tiny ONNX graph. Every DDIM step is
 * then affine in x plus σ·z, so the mean and variance of the samples follow a recursion
 * we can compute exactly, and compare with what the toolkit draws.
 */
import { describe, expect, test } from 'bun:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { alphasCumprod, configFromObject, createPipeline, memorySink } from '../index.ts';
import { tempDirSync } from './support/fixtures.ts';
import { buildOnnxModel } from './support/onnx-builder.ts';

const MU = 0.1;
const S2 = 0.04;
const SIZE = 8;
const T = 1000;

function gaussianEpsModel(alphas: Float32Array): Uint8Array {
  return buildOnnxModel({
    inputs: [
      { name: 'x', type: 'float', shape: ['batch', 1, SIZE, SIZE] },
      { name: 't', type: 'int64', shape: ['batch'] },
    ],
    outputs: [{ name: 'out', type: 'float', shape: ['batch', 1, SIZE, SIZE] }],
    initializers: [
      { name: 'alphas', dims: [T], float: [...alphas] },
      { name: 'shape', dims: [4], int64: [-1, 1, 1, 1] },
      { name: 'one', dims: [], float: [1] },
      { name: 'mu', dims: [], float: [MU] },
      { name: 's2', dims: [], float: [S2] },
    ],
    // ε(x, t) = √(1−ᾱ)·(x − √ᾱ·μ) / (ᾱ·s² + 1 − ᾱ)
    nodes: [
      { op: 'Gather', inputs: ['alphas', 't'], outputs: ['a_flat'] },
      { op: 'Reshape', inputs: ['a_flat', 'shape'], outputs: ['a'] },
      { op: 'Sqrt', inputs: ['a'], outputs: ['sqrt_a'] },
      { op: 'Sub', inputs: ['one', 'a'], outputs: ['one_minus_a'] },
      { op: 'Sqrt', inputs: ['one_minus_a'], outputs: ['sqrt_one_minus_a'] },
      { op: 'Mul', inputs: ['sqrt_a', 'mu'], outputs: ['mean_t'] },
      { op: 'Sub', inputs: ['x', 'mean_t'], outputs: ['centered'] },
      { op: 'Mul', inputs: ['a', 's2'], outputs: ['a_s2'] },
      { op: 'Add', inputs: ['a_s2', 'one_minus_a'], outputs: ['variance_t'] },
      { op: 'Mul', inputs: ['sqrt_one_minus_a', 'centered'], outputs: ['scaled'] },
      { op: 'Div', inputs: ['scaled', 'variance_t'], outputs: ['out'] },
    ],
  });
}

/** The DDIM step of the paper as an affine map x -> αx + β (+ σz), in float64. */
function expectedMoments(alphas: Float32Array, timesteps: number[], eta: number): { mean: number; variance: number } {
  let mean = 0;
  let variance = 1;
  for (let i = timesteps.length - 1; i >= 0; i--) {
    const a = alphas[timesteps[i]!]!;
    const ap = i > 0 ? alphas[timesteps[i - 1]!]! : 1;
    const eps = (x: number) => (Math.sqrt(1 - a) * (x - Math.sqrt(a) * MU)) / (a * S2 + 1 - a);
    const sigma2 = eta * eta * ((1 - ap) / (1 - a)) * (1 - a / ap);
    const step = (x: number) => {
      const x0 = Math.sqrt(1 / a) * x - Math.sqrt(1 / a - 1) * eps(x);
      return Math.sqrt(ap) * x0 + Math.sqrt(1 - ap - sigma2) * eps(x);
    };
    const beta = step(0);
    const alpha = step(1) - beta;
    mean = alpha * mean + beta;
    variance = alpha * alpha * variance + sigma2;
  }
  return { mean, variance };
}

describe('stochastic sampling (eta > 0)', () => {
  const alphas = alphasCumprod({ totalSteps: T, betaSchedule: 'linear', betaStart: 0.0001, betaEnd: 0.02 });
  const dir = tempDirSync();
  const modelPath = join(dir, 'gaussian-eps.onnx');
  writeFileSync(modelPath, gaussianEpsModel(alphas));

  for (const eta of [0, 0.5, 1]) {
    test(`draws the closed-form mean and variance at eta ${eta}`, async () => {
      const n = 512;
      const config = configFromObject({
        seed: 11,
        data: { img_size: SIZE, img_channels: 1 },
        diffusion: { params: { total_steps: T, beta_schedule: 'linear', clip_denoised: false, skip_steps: 20, eta } },
        sampler: { weights: modelPath, n_samples: n, micro_batch: 128 },
      });
      const pipeline = await createPipeline(config);
      const sink = memorySink();
      await pipeline.run({ sink });
      const timesteps = [...sink.info!.timesteps];
      await pipeline.dispose();

      const values = sink.samples;
      let sum = 0;
      let sq = 0;
      for (const v of values) sum += v;
      const mean = sum / values.length;
      for (const v of values) sq += (v - mean) ** 2;
      const variance = sq / (values.length - 1);
      const expected = expectedMoments(alphas, timesteps, eta);
      // Five standard errors: the mean's √(v/N) and the variance's v·√(2/N), N = 32,768 draws.
      const count = values.length;
      expect(Math.abs(mean - expected.mean)).toBeLessThan(5 * Math.sqrt(expected.variance / count));
      expect(Math.abs(variance - expected.variance)).toBeLessThan(5 * expected.variance * Math.sqrt(2 / count));
    });
  }

  test('tells the etas apart: their variances differ by far more than the tolerance', () => {
    const ts = Array.from({ length: 20 }, (_, i) => i * 50);
    const deterministic = expectedMoments(alphas, ts, 0);
    const stochastic = expectedMoments(alphas, ts, 1);
    const tolerance = 5 * deterministic.variance * Math.sqrt(2 / (512 * SIZE * SIZE));
    expect(Math.abs(deterministic.variance - stochastic.variance)).toBeGreaterThan(4 * tolerance);
  });
});
