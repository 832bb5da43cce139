/**
 * Sizes that cannot fit are refused before anything is allocated, with the number that
 * would: a micro-batch past the memory budget, an interpolation row of too many frames, a
 * run past the 2^32 noise streams, a chain past the timestep budget, a noise file declaring
 * a huge array, thread counts that never finish starting. Many samples with a small
 * micro-batch stay fine: images stream to disk.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatBytes, memoryBudget } from '../core/run-size-limits.ts';
import { localHost } from '../core/io/local-host.ts';
import { type DiffusionModel, type Pipeline, createPipeline, loadConfig, loadOnnxModel, parseOverride } from '../index.ts';
import { expectUserError, runCli } from './support/cli.ts';
import { DEFAULT_CONFIG, DEFAULT_MODEL, PARITY, TINY_MODEL, tempDirSync } from './support/fixtures.ts';
import { type CliCase, FuzzTally, checkSamples, runCliCases } from './support/fuzz-harness.ts';
import { rawNpy } from './support/fuzz-npy.ts';

/** The shipped model's row: 1·32·32 float32 values, 16 buffers of them per row (core/prepare-run.ts). */
const ROW_BYTES = 32 * 32 * 4 * 16;
const FIT_ROWS = Math.floor(memoryBudget(localHost) / ROW_BYTES);
const BUDGET = formatBytes(memoryBudget(localHost));

let dir = '';
let model: DiffusionModel;
let pipeline: Pipeline;

beforeAll(async () => {
  dir = tempDirSync('ddim-fuzz-sizes-');
  model = await loadOnnxModel(DEFAULT_MODEL, { expect: { channels: 1, size: 32 } });
  pipeline = await createPipeline(loadConfig(DEFAULT_CONFIG), { model });
});

afterAll(async () => {
  await model?.dispose();
});

/** Prepare (plan and checks, no sampling) a run of the shipped config with `overrides`. */
const prepare = (...overrides: string[]) => pipeline.prepare(loadConfig(DEFAULT_CONFIG, { overrides: overrides.map(parseOverride) }));

describe('sizes that cannot fit', () => {
  test('the reported example: 10^8 samples in one micro-batch is refused with the number that fits', async () => {
    const result = await runCli(['sample', '--n_samples', '100000000', '--micro_batch', '100000000', '--save_dir', join(dir, 'example')]);
    expectUserError(result, '--micro_batch 100000000: one micro-batch of 100000000 samples needs 6.0 TiB', `at most ${FIT_ROWS} fit in ${BUDGET}`);
  });

  test('the boundary is exact: the largest micro-batch that fits prepares, one more does not', async () => {
    const fit = String(FIT_ROWS);
    await prepare(`sampler.n_samples=${fit}`, `sampler.micro_batch=${fit}`);
    await expect(prepare(`sampler.n_samples=${FIT_ROWS + 1}`, `sampler.micro_batch=${FIT_ROWS + 1}`)).rejects.toThrow(`at most ${FIT_ROWS} fit`);
    // Many samples in small micro-batches stream to disk: not refused.
    await prepare('sampler.n_samples=1000000000', 'sampler.micro_batch=500');
  });

  test('the memory guard counts the samples a micro-batch really holds: 2 samples with --micro_batch 10^8 prepare, in every mode that streams', async () => {
    await prepare('sampler.n_samples=2', 'sampler.micro_batch=100000000');
    await prepare('sampler.mode=trajectory', 'sampler.n_samples=2', 'sampler.micro_batch=100000000');
    await prepare('sampler.mode=interpolate', 'sampler.n_interpolate=3', 'sampler.n_samples=2', 'sampler.micro_batch=100000000');
  });

  test('every size past its limit ends in one line naming the flag and what fits; small micro-batches and few samples in a huge micro-batch run', async () => {
    const hugeNoise = join(dir, 'huge-declared.npy');
    writeFileSync(hugeNoise, rawNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000000, 1, 32, 32), }", new Uint8Array(4096)));
    const save = (name: string) => join(dir, name);
    const refused = (label: string, args: string[], ...errorSays: string[]): CliCase => ({
      label,
      args: ['sample', ...args, '--save_dir', save(label), '-q'],
      expects: 'refusal',
      errorSays,
    });
    const ran = (label: string, args: string[], count: number): CliCase => ({
      label,
      args: ['sample', ...args, '--skip_steps', '3', '--save_dir', save(label), '--save_npy', '-q'],
      expects: 'result',
      check: () => checkSamples(save(label), count),
    });
    const tally = new FuzzTally('sizes (CLI)');
    await runCliCases(tally, [
      refused('micro_batch', ['--n_samples', '100000000', '--micro_batch', '100000000'], `at most ${FIT_ROWS} fit`),
      refused('n_samples', ['--n_samples', '1e15', '--micro_batch', '2'], '--n_samples 1000000000000000: at most 4294967296 samples'),
      refused('n_interpolate', ['--mode', 'interpolate', '--n_interpolate', '100000000', '--n_samples', '1'], '--n_interpolate 100000000: one item of 100000000 model rows', `at most ${FIT_ROWS} rows fit`),
      // On the card-less parity model: the shipped model's card (T=1000) refuses another T first.
      refused('total_steps', ['-c', join(PARITY, 'sample_uniform10', 'config.yaml'), '--weights', TINY_MODEL, 'diffusion.params.total_steps=1000000000', '--skip_steps', '3'], 'diffusion.params.total_steps 1000000000', 'timesteps fit'),
      refused('noise', ['--noise', hugeNoise, '--n_samples', '1'], 'shape [1000000000000,1,32,32] is 3.6 PiB of float32', 'rows of [1,32,32] float32 fit'),
      refused('threads', ['--threads', '100000', '--n_samples', '1'], '--threads 100000 (sampler.intra_op_threads): at most'),
      ran('huge micro_batch, 2 samples', ['--n_samples', '2', '--micro_batch', '100000000'], 2),
      ran('trajectory, huge micro_batch', ['--mode', 'trajectory', '--n_samples', '2', '--micro_batch', '100000000'], 2),
      ran('interpolate, huge micro_batch', ['--mode', 'interpolate', '--n_interpolate', '3', '--n_samples', '2', '--micro_batch', '100000000'], 2),
    ]);
    expect(tally.report()).toEqual([]);
  });
});
