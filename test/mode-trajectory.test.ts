/** `--mode trajectory` end to end: real CLI, the shipped model; the x0 prediction after every step, one row per sample. */
import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { createPipeline, loadConfig, parseNpy, parseOverride } from '../index.ts';
import { expectUserError, pngs, runCli } from './support/cli.ts';
import { DEFAULT_CONFIG, tempDirSync } from './support/fixtures.ts';

const SIDE = 32;
const SIZE = SIDE * SIDE;
const STEPS = 10;
const FAST = ['--skip_steps', String(STEPS), '--quiet'];

function samplesOf(dir: string): { shape: number[]; data: Float32Array } {
  const { shape, data } = parseNpy(readFileSync(join(dir, 'samples.npy')));
  return { shape: [...shape], data: data as Float32Array };
}

/** The first channel of frame `index` of a framed PNG row (2 black pixels around and between frames). */
function framePixels(png: string, index: number): Promise<Buffer> {
  return sharp(png).extract({ left: 2 + index * (SIDE + 2), top: 2, width: SIDE, height: SIDE }).extractChannel(0).raw().toBuffer();
}

async function run(args: readonly string[]): Promise<string> {
  const dir = tempDirSync();
  const result = await runCli(['sample', ...args, '--save_dir', dir, ...FAST]);
  expect(result.stderr).toBe('');
  expect(result.exitCode).toBe(0);
  return dir;
}

describe('trajectory', () => {
  test('gives byte-identical PNGs and samples with micro_batch 1, 3 and 8, eta > 0 included', async () => {
    const dirs = await Promise.all(
      [1, 3, 8].map((microBatch) => run(['--mode', 'trajectory', '--n_samples', '5', '--micro_batch', String(microBatch), '--ddim_eta', '0.5', '--save_npy'])),
    );
    const first = pngs(dirs[0]!);
    expect(first.size).toBe(5);
    const npy = readFileSync(join(dirs[0]!, 'samples.npy'));
    for (const dir of dirs.slice(1)) {
      for (const [name, bytes] of first) expect(pngs(dir).get(name)!.equals(bytes)).toBe(true);
      expect(readFileSync(join(dir, 'samples.npy')).equals(npy)).toBe(true);
    }
  });

  test("ends on sample's image for the same seed and index, bit for bit, and starts elsewhere", async () => {
    const args = ['--n_samples', '4', '--seed', '7', '--ddim_eta', '0.5', '--save_npy'];
    const [trajectory, sample] = await Promise.all([run(['--mode', 'trajectory', ...args]), run(['--mode', 'sample', ...args])]);
    const rows = samplesOf(trajectory);
    expect(rows.shape).toEqual([4, STEPS, 1, SIDE, SIDE]);
    const images = samplesOf(sample).data;
    for (let i = 0; i < 4; i++) {
      const last = rows.data.subarray((i * STEPS + STEPS - 1) * SIZE, (i * STEPS + STEPS) * SIZE);
      expect([...last]).toEqual([...images.subarray(i * SIZE, (i + 1) * SIZE)]);
      const firstFrame = rows.data.subarray(i * STEPS * SIZE, (i * STEPS + 1) * SIZE);
      let distance = 0;
      for (let j = 0; j < SIZE; j++) distance += (firstFrame[j]! - last[j]!) ** 2;
      // Measured (these 4, seed 7): 0.26–0.46 mean squared difference per pixel between the first
      // prediction, a noisy blur made from x_T, and the image; 0.05 would still be ~30 gray levels RMS.
      expect(distance / SIZE).toBeGreaterThan(0.05);

      const png = join(trajectory, `${i}.png`);
      const meta = await sharp(png).metadata();
      expect([meta.width, meta.height]).toEqual([STEPS * SIDE + (STEPS + 1) * 2, SIDE + 4]);
      const picture = await sharp(join(sample, `${i}.png`)).extractChannel(0).raw().toBuffer();
      expect((await framePixels(png, STEPS - 1)).equals(picture)).toBe(true);
      expect((await framePixels(png, 0)).equals(picture)).toBe(false);
    }
  });

  test('every=k keeps every k-th step and the last: frames 3, 6, 9 and 10 of 10 steps', async () => {
    const [all, some] = await Promise.all([
      run(['--mode', 'trajectory', '--n_samples', '2', '--save_npy']),
      run(['--mode', 'trajectory', '--n_samples', '2', '--save_npy', 'sampler.options.trajectory.every=3']),
    ]);
    const full = samplesOf(all).data;
    const kept = samplesOf(some);
    expect(kept.shape).toEqual([2, 4, 1, SIDE, SIDE]);
    const meta = await sharp(join(some, '1.png')).metadata();
    expect(meta.width).toBe(4 * SIDE + 5 * 2);
    for (let i = 0; i < 2; i++) {
      [3, 6, 9, 10].forEach((step, k) => {
        const expected = full.subarray((i * STEPS + step - 1) * SIZE, (i * STEPS + step) * SIZE);
        expect([...kept.data.subarray((i * 4 + k) * SIZE, (i * 4 + k + 1) * SIZE)]).toEqual([...expected]);
      });
    }
  });

  test('declares one row per item and one model call per step, whatever every is', async () => {
    const overrides = ['sampler.mode=trajectory', 'sampler.n_samples=3', `diffusion.params.skip_steps=${STEPS}`, 'sampler.options.trajectory.every=4'];
    const pipeline = await createPipeline(loadConfig(DEFAULT_CONFIG, { overrides: overrides.map((o) => parseOverride(o)) }));
    try {
      const prepared = await pipeline.prepare();
      expect(prepared.cost).toMatchObject({ rowsPerItem: 1, callsPerRow: STEPS });
      expect(prepared.plan).toMatchObject({ count: 3, framesPerItem: 3, itemShape: [3, 1, SIDE, SIDE] });
    } finally {
      await pipeline.dispose();
    }
  });

  test.each([['0'], ['2.5'], ['"all"']])('refuses every=%s with one line naming the option', async (value) => {
    const result = await runCli(['sample', '--mode', 'trajectory', '--n_samples', '1', `sampler.options.trajectory.every=${value}`, '--save_dir', tempDirSync()]);
    expectUserError(result, 'sampler.options.trajectory.every');
  });
});
