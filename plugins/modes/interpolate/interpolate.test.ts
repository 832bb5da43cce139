import { describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { createPipeline, loadConfig, memorySink, runOptionOverrides } from '../../../index.ts';
import { PARITY, TINY_MODEL, tempDirSync } from '../../../test/support/fixtures.ts';
import { parityNoiseFile } from '../../../test/support/parity-noise.ts';

const CASE = join(PARITY, 'sample_uniform10');
const SIZE = 3 * 32 * 32;
const FRAMES = 5;

const noiseFile = parityNoiseFile;

async function run(values: Record<string, unknown>): Promise<Float32Array> {
  const config = loadConfig(join(CASE, 'config.yaml'), { overrides: runOptionOverrides({ weights: TINY_MODEL, skip_steps: 5, ...values }) });
  const pipeline = await createPipeline(config);
  try {
    const sink = memorySink();
    await pipeline.run({ sink });
    return sink.samples;
  } finally {
    await pipeline.dispose();
  }
}

describe('interpolate', () => {
  test('between identical endpoints, every frame is the sample of that noise (the linear limit of slerp, no NaN)', async () => {
    // θ = acos(1) = 0 and sin θ = 0: the slerp weights would be 0/0.
    const dir = tempDirSync();
    const pairs = noiseFile(dir, 'pairs.npy', [0, 0, 1, 1]);
    const rows = noiseFile(dir, 'rows.npy', [0, 1]);
    const [frames, samples] = await Promise.all([
      run({ mode: 'interpolate', noise: pairs, n_samples: 2, n_interpolate: FRAMES }),
      run({ mode: 'sample', noise: rows, n_samples: 2 }),
    ]);
    expect(frames.length).toBe(2 * FRAMES * SIZE);
    expect(frames.every(Number.isFinite)).toBe(true);
    for (let pair = 0; pair < 2; pair++) {
      const expected = samples.subarray(pair * SIZE, (pair + 1) * SIZE);
      for (let k = 0; k < FRAMES; k++) {
        const offset = (pair * FRAMES + k) * SIZE;
        expect(frames.subarray(offset, offset + SIZE)).toEqual(expected);
      }
    }
    // The two pairs are different images, so the comparison above tells pairs apart.
    expect(samples.subarray(0, SIZE)).not.toEqual(samples.subarray(SIZE));
  });
});
