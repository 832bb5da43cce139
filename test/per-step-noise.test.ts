/**
 * The noise added at each step when eta > 0 is keyed (seed, stream, t, domain), and each part
 * of the key shows in the results: with x_T fixed by a --noise file, only that noise can make
 * two runs, or two results of one run, differ. At eta 0 the same comparisons must find no
 * difference at all, which shows the comparisons are of like with like.
 */
import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseNpy } from '../core/io/npy.ts';
import { runCli } from './support/cli.ts';
import { PARITY, TINY_MODEL, tempDirSync } from './support/fixtures.ts';
import { parityNoiseFile } from './support/parity-noise.ts';

const CASE = join(PARITY, 'sample_uniform10');
const SIZE = 3 * 32 * 32;
const FRAMES = 4;

const noiseFile = parityNoiseFile;

/** The results of one run of the real CLI (samples.npy), one Float32Array per image or frame. */
async function results(flags: string[]): Promise<Float32Array[]> {
  const out = tempDirSync();
  const run = await runCli(['sample', '-c', join(CASE, 'config.yaml'), '--weights', TINY_MODEL, '--skip_steps', '5', ...flags, '--save_dir', out, '--save_npy', '--quiet']);
  expect(run.stderr).toBe('');
  expect(run.exitCode).toBe(0);
  const { data } = parseNpy(readFileSync(join(out, 'samples.npy')));
  return Array.from({ length: data.length / SIZE }, (_, i) => data.slice(i * SIZE, (i + 1) * SIZE));
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

/**
 * Samples are clamped to [−1, 1]; where only the per-step noise differs, results differ by
 * far more than this (measured: 2.0, the whole range, in every comparison below).
 */
const DIFFERENT = 0.1;

describe('per-step noise (eta > 0)', () => {
  test('depends on --seed: the same x_T from a --noise file gives other images under another seed, and the same at eta 0', async () => {
    const dir = tempDirSync();
    const noise = noiseFile(dir, 'noise.npy', [0, 1]);
    const run = (eta: number, seed: number) => results(['--noise', noise, '--n_samples', '2', '--ddim_eta', String(eta), '--seed', String(seed)]);
    const [still1, still2, noisy1, noisy2] = await Promise.all([run(0, 1), run(0, 2), run(1, 1), run(1, 2)]);
    for (let i = 0; i < 2; i++) {
      expect(still1[i]).toEqual(still2[i]!);
      expect(maxAbsDiff(noisy1[i]!, noisy2[i]!)).toBeGreaterThan(DIFFERENT);
      // eta 1 did add noise: these are not the deterministic images
      expect(maxAbsDiff(noisy1[i]!, still1[i]!)).toBeGreaterThan(DIFFERENT);
    }
  });

  test('depends on the sample: equal rows of a --noise file give different images at eta 1, equal ones at eta 0', async () => {
    const dir = tempDirSync();
    const noise = noiseFile(dir, 'same.npy', [2, 2, 2]);
    const run = (eta: number) => results(['--noise', noise, '--n_samples', '3', '--ddim_eta', String(eta)]);
    const [still, noisy] = await Promise.all([run(0), run(1)]);
    for (const i of [1, 2]) {
      expect(still[i]).toEqual(still[0]!);
      expect(maxAbsDiff(noisy[i]!, noisy[0]!)).toBeGreaterThan(DIFFERENT);
    }
  });

  test("depends on the mode's noise domain: interpolate frame k and sample k from the same x_T differ at eta 1 only", async () => {
    // One pair with identical endpoints: every frame starts from row 3, as every image of the
    // `sample` run does. Frame k draws stream k in domain 1, image k stream k in domain 0, so
    // with the domain left out of the key they would be the same images.
    const dir = tempDirSync();
    const pair = noiseFile(dir, 'pair.npy', [3, 3]);
    const rows = noiseFile(dir, 'rows.npy', Array(FRAMES).fill(3));
    const run = (eta: number) =>
      Promise.all([
        results(['--mode', 'interpolate', '--noise', pair, '--n_samples', '1', '--n_interpolate', String(FRAMES), '--ddim_eta', String(eta)]),
        results(['--mode', 'sample', '--noise', rows, '--n_samples', String(FRAMES), '--ddim_eta', String(eta)]),
      ]);
    const [[framesStill, samplesStill], [framesNoisy, samplesNoisy]] = await Promise.all([run(0), run(1)]);
    expect(framesStill).toHaveLength(FRAMES);
    for (let k = 0; k < FRAMES; k++) {
      expect(framesStill[k]).toEqual(samplesStill[k]!);
      expect(maxAbsDiff(framesNoisy[k]!, samplesNoisy[k]!)).toBeGreaterThan(DIFFERENT);
    }
  });
});
