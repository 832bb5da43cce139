/** `--mode sdedit` end to end: real CLI, the shipped model, Fashion-MNIST test images as inputs. */
import { beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { createPipeline, encodeNpy, loadConfig, memorySink, parseOverride } from '../index.ts';
import { expectUserError, pngs, runCli } from './support/cli.ts';
import { HAS_FASHION_MNIST, readGrayPngs, readSamples, writeFashionMnistPngs } from './support/fashion-mnist.ts';
import { DEFAULT_CONFIG, tempDirSync } from './support/fixtures.ts';

const SIZE = 32 * 32;
const strength = (s: number) => `sampler.options.sdedit.strength=${s}`;

/** Mean over images of the mean squared difference per pixel between results and inputs. */
function meanSquaredDistance(results: Float32Array, inputs: readonly Float32Array[]): number {
  let total = 0;
  for (let i = 0; i < inputs.length; i++) {
    for (let j = 0; j < SIZE; j++) total += (results[i * SIZE + j]! - inputs[i]![j]!) ** 2;
  }
  return total / (inputs.length * SIZE);
}

describe.skipIf(!HAS_FASHION_MNIST)('sdedit (needs dataset-fashion-mnist)', () => {
  let inputs = '';
  beforeAll(async () => {
    inputs = tempDirSync('ddim-sdedit-inputs-');
    await writeFashionMnistPngs(inputs, 16);
  });

  test('gives byte-identical PNGs and samples with micro_batch 1, 3 and 8, eta > 0 included', async () => {
    const runs = await Promise.all(
      [1, 3, 8].map(async (microBatch) => {
        const dir = tempDirSync();
        const result = await runCli(['sample', '--mode', 'sdedit', '--input_dir', inputs, '--n_samples', '7', '--micro_batch', String(microBatch),
          '--skip_steps', '10', '--ddim_eta', '0.5', strength(0.6), '--save_dir', dir, '--save_npy', '--quiet']);
        expect(result.stderr).toBe('');
        expect(result.exitCode).toBe(0);
        return { pngs: pngs(dir), npy: readFileSync(join(dir, 'samples.npy')) };
      }),
    );
    expect(runs[0]!.pngs.size).toBe(7);
    for (const other of runs.slice(1)) {
      expect([...other.pngs.keys()].sort()).toEqual([...runs[0]!.pngs.keys()].sort());
      for (const [name, bytes] of runs[0]!.pngs) expect(other.pngs.get(name)!.equals(bytes)).toBe(true);
      expect(other.npy.equals(runs[0]!.npy)).toBe(true);
    }
  });

  test('moves results further from their inputs the higher the strength', async () => {
    const originals = await readGrayPngs(inputs);
    const distances: number[] = [];
    for (const s of [0.2, 0.5, 1]) {
      const dir = tempDirSync();
      const result = await runCli(['sample', '--mode', 'sdedit', '--input_dir', inputs, '--n_samples', '16', '--skip_steps', '20',
        strength(s), '--save_dir', dir, '--save_npy', '--quiet']);
      expect(result.exitCode).toBe(0);
      const { shape, data } = readSamples(dir);
      expect(shape).toEqual([16, 1, 32, 32]);
      distances.push(meanSquaredDistance(data, originals));
    }
    // Measured on these 16 images, 20 uniform steps (seed 2022): 0.0223, 0.1154, 0.5493, i.e.
    // each step up in strength multiplied the distance by about 5. Asking for a factor of 2
    // leaves room for other CPUs' last bits while failing if strength stopped mattering.
    // Strength 0.2 still changes the images (0.02 is ~10 gray levels RMS), and stays
    // far below what sampling from scratch gives (0.55).
    const [low, mid, high] = distances as [number, number, number];
    expect(low).toBeGreaterThan(0.005);
    expect(mid).toBeGreaterThan(2 * low);
    expect(high).toBeGreaterThan(2 * mid);
  });

  test('denoises from t_k ≤ strength·T: 11 model calls per image for 0.5 of 20 uniform steps, exactly its declared cost', async () => {
    const overrides = ['sampler.mode=sdedit', `sampler.input_dir=${inputs}`, 'sampler.n_samples=2', 'diffusion.params.skip_steps=20', strength(0.5)];
    const pipeline = await createPipeline(loadConfig(DEFAULT_CONFIG, { overrides: overrides.map((o) => parseOverride(o)) }));
    try {
      const prepared = await pipeline.prepare();
      const calls: number[] = [];
      await pipeline.execute(prepared, { sink: memorySink(), onProgress: (p) => calls.push(p.steps) });
      // Timesteps 0, 50, …, 950: the last with t ≤ 500 is index 10, so 11 steps of one batch.
      expect(new Set(calls)).toEqual(new Set([11]));
      expect(calls.length).toBe(11);
      expect(prepared.cost.callsPerRow).toBe(11);
    } finally {
      await pipeline.dispose();
    }
  });

  test('shows input | result in each PNG', async () => {
    const dir = tempDirSync();
    expect((await runCli(['sample', '--mode', 'sdedit', '--input_dir', inputs, '--n_samples', '2', '--skip_steps', '10', '--save_dir', dir, '--quiet'])).exitCode).toBe(0);
    const meta = await sharp(join(dir, '1.png')).metadata();
    expect([meta.width, meta.height]).toEqual([2 * 32 + 3 * 2, 36]);
    const left = await sharp(join(dir, '1.png')).extract({ left: 2, top: 2, width: 32, height: 32 }).extractChannel(0).raw().toBuffer();
    const input = await sharp(join(inputs, '01.png')).extractChannel(0).raw().toBuffer();
    expect(left.equals(input)).toBe(true);
  });

  test('resumes: a rerun computes only the micro-batches with a missing image', async () => {
    const dir = tempDirSync();
    const args = ['sample', '--mode', 'sdedit', '--input_dir', inputs, '--n_samples', '5', '--micro_batch', '2', '--skip_steps', '10',
      strength(0.4), '--save_dir', dir, '--quiet'];
    expect((await runCli(args)).exitCode).toBe(0);
    const first = pngs(dir);
    rmSync(join(dir, '3.png'));
    const kept = statSync(join(dir, '0.png')).mtimeMs;
    expect((await runCli(args)).exitCode).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')).computed).toBe(2);
    const second = pngs(dir);
    expect(second.size).toBe(5);
    for (const [name, bytes] of first) expect(second.get(name)!.equals(bytes)).toBe(true);
    expect(statSync(join(dir, '0.png')).mtimeMs).toBe(kept);
    // Another strength is another run: it may not write into this folder.
    expectUserError(await runCli(args.map((arg) => (arg === strength(0.4) ? strength(0.5) : arg))), 'holds results of another run');
  });

  test('refuses a noise file: it starts from its input images', async () => {
    const dir = tempDirSync();
    const noise = join(dir, 'noise.npy');
    writeFileSync(noise, encodeNpy([1, 1, 32, 32], new Float32Array(SIZE)));
    const result = await runCli(['sample', '--mode', 'sdedit', '--input_dir', inputs, '--noise', noise, '--n_samples', '1', '--save_dir', join(dir, 'out')]);
    expectUserError(result, '--noise', 'mode "sdedit" starts from its input images');
  });

  test.each([['0'], ['-0.5'], ['1.5'], ['"half"']])('refuses strength %s with one line naming the option and its range', async (value) => {
    const result = await runCli(['sample', '--mode', 'sdedit', '--input_dir', inputs, '--n_samples', '1', `sampler.options.sdedit.strength=${value}`,
      '--save_dir', tempDirSync()]);
    expectUserError(result, 'sampler.options.sdedit.strength');
    if (value !== '"half"') expect(result.stderr).toContain('(0, 1]');
  });

  test('needs input images', async () => {
    expectUserError(await runCli(['sample', '--mode', 'sdedit', '--n_samples', '1', '--save_dir', tempDirSync()]), 'mode "sdedit" needs input images', '--input_dir');
  });
});
