/**
 * The batch-invariance check each CLI run makes (core/model/batch-invariance.ts): byte-identity
 * across --micro_batch, shards and mixed server batches rests on the model computing each row
 * the same whatever else is in its batch, so a run checks it and records the outcome.
 */
import { describe, expect, test } from 'bun:test';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkBatchInvariance } from '../core/model/batch-invariance.ts';
import type { DiffusionModel } from '../core/model/model.ts';
import { loadOnnxModel } from '../core/model/onnx-model.ts';
import { expectUserError, pngs, runCli } from './support/cli.ts';
import { DEFAULT_MODEL, tempDirSync } from './support/fixtures.ts';
import { buildOnnxModel } from './support/onnx-builder.ts';

const SIZE = 8;

/** out = x/2 + batch/1000: every row depends on how many rows share its batch. */
function batchDependentModel(): Uint8Array {
  return buildOnnxModel({
    inputs: [
      { name: 'x', type: 'float', shape: ['batch', 1, SIZE, SIZE] },
      { name: 't', type: 'int64', shape: ['batch'] },
    ],
    outputs: [{ name: 'out', type: 'float', shape: ['batch', 1, SIZE, SIZE] }],
    initializers: [
      { name: 'zero', dims: [], int64: [0] },
      { name: 'half', dims: [], float: [0.5] },
      { name: 'milli', dims: [], float: [0.001] },
    ],
    nodes: [
      { op: 'Shape', inputs: ['x'], outputs: ['shape'] },
      { op: 'Gather', inputs: ['shape', 'zero'], outputs: ['batch'], attributes: { axis: 0 } },
      { op: 'Cast', inputs: ['batch'], outputs: ['batch_f'], attributes: { to: 1 } },
      { op: 'Mul', inputs: ['batch_f', 'milli'], outputs: ['shift'] },
      { op: 'Mul', inputs: ['x', 'half'], outputs: ['scaled'] },
      { op: 'Add', inputs: ['scaled', 'shift'], outputs: ['out'] },
    ],
  });
}

/** A model that adds `drift` times the batch size to every output: a stand-in for a batch-dependent kernel. */
function drifting(model: DiffusionModel, drift: number): DiffusionModel {
  return {
    info: model.info,
    async run(x, t, batch) {
      const out = (await model.run(x, t, batch)).slice();
      for (let i = 0; i < out.length; i++) out[i]! += drift * batch;
      return out;
    },
    dispose: () => model.dispose(),
  };
}

describe('the batch-invariance check', () => {
  test('finds the shipped model batch-invariant on this CPU, with one digest whatever the batch, at a small cost', async () => {
    const model = await loadOnnxModel(DEFAULT_MODEL, { intraOpThreads: 1 });
    try {
      const probes = [];
      for (const batch of [1, 3, 16, 500]) probes.push(await checkBatchInvariance(model, { totalSteps: 1000, batch }));
      for (const probe of probes) {
        expect(probe.invariant).toBe(true);
        expect(probe.maxDiff).toBe(0);
        expect(probe.digest).toBe(probes[0]!.digest);
      }
      expect(probes.map((p) => p.batch)).toEqual([3, 3, 16, 16]);
      // Measured on 2 shared cores: about 20 ms at batch 3 and 100 ms at 16 (one thread).
      console.log(`batch probe cost: ${probes.map((p) => `batch ${p.batch} ${p.ms.toFixed(0)} ms`).join(', ')}`);
      expect(probes[2]!.ms).toBeLessThan(2000);
      // The digest names the numbers: another model (or machine) gives another.
      const other = await checkBatchInvariance(drifting(model, 0), { totalSteps: 999, batch: 3 });
      expect(other.digest).not.toBe(probes[0]!.digest);
    } finally {
      await model.dispose();
    }
  });

  test('catches a model whose rows depend on the batch, and keeps the batch-1 digest', async () => {
    const model = await loadOnnxModel(DEFAULT_MODEL, { intraOpThreads: 1 });
    try {
      const clean = await checkBatchInvariance(drifting(model, 0), { totalSteps: 1000, batch: 4 });
      const probe = await checkBatchInvariance(drifting(model, 1e-3), { totalSteps: 1000, batch: 4 });
      expect(clean.invariant).toBe(true);
      expect(probe.invariant).toBe(false);
      expect(probe.maxDiff).toBeCloseTo(3e-3, 4); // batch 4 against batch 1
      expect(probe.digest).not.toBe(clean.digest); // its batch-1 outputs drift too (by 1e-3)
    } finally {
      await model.dispose();
    }
  });

  test('a run records the check; under a batch-dependent model it warns, and shards must keep the micro_batch (then they still give one run\'s bytes)', async () => {
    const dir = tempDirSync();
    const modelPath = join(dir, 'batch-dependent.onnx');
    writeFileSync(modelPath, batchDependentModel());
    const config = join(dir, 'config.yaml');
    writeFileSync(config, `data: { img_size: ${SIZE}, img_channels: 1 }\nsampler: { weights: batch-dependent.onnx }\n`);
    const args = ['sample', '-c', config, '--n_samples', '5', '--micro_batch', '2', '--skip_steps', '3', '--quiet'];

    const whole = join(dir, 'whole');
    const result = await runCli([...args, '--save_dir', whole]);
    expect(result.exitCode).toBe(0);
    const warnings = result.stderr.trim().split('\n');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toStartWith('warning: the model computes a row differently alone and in a batch of 3');
    expect(warnings[0]).toContain('results may depend on --micro_batch');
    const run = JSON.parse(readFileSync(join(whole, 'run.json'), 'utf8'));
    expect(run.batch_invariant).toBe(false);
    expect(run.batch_probe.digest).toMatch(/^[0-9a-f]{16}$/);

    // Shards [0,1) [1,3) [3,5) cut the batches [0,2) [2,4) [4,5); computed whole, they come out as the unsharded run's.
    const sharded = join(dir, 'sharded');
    for (let k = 0; k < 3; k++) expect((await runCli([...args, '--save_dir', sharded, '--shard', `${k}/3`])).exitCode).toBe(0);
    const expected = pngs(whole);
    const actual = pngs(sharded);
    expect(actual.size).toBe(5);
    for (const [name, bytes] of expected) expect(actual.get(name)!.equals(bytes)).toBe(true);

    // The same shard with another micro_batch would not.
    const other = join(dir, 'other');
    expect((await runCli([...args, '--save_dir', other, '--micro_batch', '3'])).exitCode).toBe(0);
    expect(pngs(other).get('1.png')!.equals(expected.get('1.png')!)).toBe(false);
    const mixed = join(dir, 'mixed');
    expect((await runCli([...args, '--save_dir', mixed, '--shard', '0/2'])).exitCode).toBe(0);
    expectUserError(await runCli([...args, '--save_dir', mixed, '--shard', '1/2', '--micro_batch', '1']), 'the model is not batch-invariant, so --micro_batch must match: 2 there, 1 here');
  });
});
