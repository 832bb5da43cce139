import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { resolve } from 'node:path';
import { alphasCumprod } from './math/betas.ts';
import type { DiffusionModel } from './model/model.ts';
import { loadOnnxModel } from './model/onnx-model.ts';
import { fillGaussian } from './noise/philox.ts';
import { DdimSampler, type SampleStep } from './sampler.ts';

const MODEL = resolve(import.meta.dir, '../models/ddpm_fashion_mnist.onnx');
const TIMESTEPS = [0, 100, 200, 300, 400, 500, 600, 700, 800, 900];
const BATCH = 2;
const NOISE = { streams: [0, 1], domain: 0 };

let model: DiffusionModel;
let modelCalls = 0;

/** The shipped model, counting its calls: a stopped pass must make no call after the stop. */
const counted: DiffusionModel = {
  get info() {
    return model.info;
  },
  run(x, timesteps, batch) {
    modelCalls++;
    return model.run(x, timesteps, batch);
  },
  dispose: () => Promise.resolve(),
};

function newSampler(): DdimSampler {
  const ac = alphasCumprod({ totalSteps: 1000, betaSchedule: 'linear', betaStart: 1e-4, betaEnd: 0.02 });
  return new DdimSampler(counted, { alphasCumprod: ac, timesteps: TIMESTEPS, objective: 'pred_eps', clipDenoised: true, eta: 0.5, seed: 3 });
}

function initialNoise(size: number): Float32Array {
  const x = new Float32Array(BATCH * size);
  for (let s = 0; s < BATCH; s++) fillGaussian(x, s * size, size, { seed: 3, stream: s, step: 1000 });
  return x;
}

beforeAll(async () => {
  model = await loadOnnxModel(MODEL, { expect: { channels: 1, size: 32 } });
});
afterAll(() => model.dispose());

describe('DdimSampler.sample', () => {
  test("a step hook answering 'stop' ends the pass after that step: no later step runs, x stays where that step left it", async () => {
    const sampler = newSampler();
    const x = initialNoise(sampler.sampleSize);
    // The same three steps taken one at a time: what a pass stopped after its third step holds.
    const expected = x.slice();
    for (const index of [9, 8, 7]) await sampler.step(expected, BATCH, index, NOISE);

    const seen: number[] = [];
    modelCalls = 0;
    await sampler.sample(x, BATCH, {
      ...NOISE,
      onStep: ({ index }: SampleStep) => {
        seen.push(index);
        return index === 7 ? 'stop' : undefined;
      },
    });
    expect(seen).toEqual([9, 8, 7]);
    expect(modelCalls).toBe(3);
    expect(Buffer.from(x.buffer).equals(Buffer.from(expected.buffer))).toBe(true);
  });

  test('an async hook\'s \'stop\' counts too, and a hook that never stops sees every step down to x_0', async () => {
    const sampler = newSampler();
    const stopped: number[] = [];
    await sampler.sample(initialNoise(sampler.sampleSize), BATCH, {
      ...NOISE,
      onStep: async ({ index }) => {
        stopped.push(index);
        return 'stop' as const;
      },
    });
    expect(stopped).toEqual([9]);
    const all: number[] = [];
    await sampler.sample(initialNoise(sampler.sampleSize), BATCH, { ...NOISE, onStep: ({ tPrev }) => void all.push(tPrev) });
    expect(all).toEqual([...TIMESTEPS.slice(0, -1)].reverse().concat(-1));
  });
});
