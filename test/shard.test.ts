/** `--shard k/n`: contiguous ranges of the items into one shared --save_dir, the bytes of one run, one record per shard. */
import { describe, expect, test } from 'bun:test';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../core/errors.ts';
import { shardRange } from '../core/sinks/shard.ts';
import { resolveShard } from '../cli/shard.ts';
import { expectUserError, pngs, runCli } from './support/cli.ts';
import { PARITY, ROOT, TINY_MODEL, tempDirSync } from './support/fixtures.ts';

const FAST = ['--skip_steps', '4', '--quiet'];
const record = (dir: string, name: string) => JSON.parse(readFileSync(join(dir, name), 'utf8'));

function expectSameFiles(actual: Map<string, Buffer>, expected: Map<string, Buffer>): void {
  expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [name, bytes] of expected) expect(actual.get(name)!.equals(bytes)).toBe(true);
}

/** Run shards 0..n−1 of `args` one after another into `dir`; each must succeed; returns their warnings. */
async function runShards(args: readonly string[], dir: string, n: number): Promise<string[]> {
  const warnings: string[] = [];
  for (let k = 0; k < n; k++) {
    const result = await runCli([...args, '--save_dir', dir, '--shard', `${k}/${n}`]);
    expect(result.exitCode).toBe(0);
    const lines = result.stderr.split('\n').filter(Boolean);
    for (const line of lines) expect(line).toStartWith(`warning: --shard ${k}/${n}: a micro-batch of `);
    warnings.push(...lines);
  }
  return warnings;
}

describe('shard ranges', () => {
  test('the n ranges cover 0..N−1 once each, in order, their sizes within one item of each other', () => {
    for (let items = 0; items <= 40; items++) {
      for (let count = 1; count <= 9; count++) {
        const ranges = Array.from({ length: count }, (_, index) => shardRange({ index, count }, items));
        expect(ranges[0]!.start).toBe(0);
        expect(ranges.at(-1)!.end).toBe(items);
        for (let k = 1; k < count; k++) expect(ranges[k]!.start).toBe(ranges[k - 1]!.end);
        const sizes = ranges.map((r) => r.end - r.start);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      }
    }
    // k·N beyond 2^53 stays exact.
    const huge = 2 ** 52 + 1;
    expect(shardRange({ index: 6, count: 7 }, huge).end).toBe(huge);
    expect(shardRange({ index: 3, count: 7 }, huge).start).toBe(Number((3n * BigInt(huge)) / 7n));
  });
});

describe('--shard auto', () => {
  const sampler = (shard: string | null, shards: number | null = null, save_npy = false) =>
    ({ shard, shards, save_npy }) as Parameters<typeof resolveShard>[0];
  const fails = (run: () => unknown, ...fragments: string[]) => {
    let error: unknown;
    try {
      run();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).exitCode).toBe(2);
    expect((error as UserError).message).not.toContain('\n');
    for (const fragment of fragments) expect((error as UserError).message).toContain(fragment);
  };

  test('takes k from a Kubernetes Indexed Job and n from --shards or DDIM_SHARDS', () => {
    expect(resolveShard(sampler('auto', 4), { JOB_COMPLETION_INDEX: '3' })).toEqual({ index: 3, count: 4 });
    expect(resolveShard(sampler('auto'), { JOB_COMPLETION_INDEX: '0', DDIM_SHARDS: '2' })).toEqual({ index: 0, count: 2 });
    expect(resolveShard(sampler('1/3'), {})).toEqual({ index: 1, count: 3 });
    expect(resolveShard(sampler(null), { JOB_COMPLETION_INDEX: '3' })).toBeUndefined();
  });

  test('takes k = (ID − MIN) / STEP and n from a Slurm array', () => {
    expect(resolveShard(sampler('auto'), { SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_COUNT: '4' })).toEqual({ index: 2, count: 4 });
    // --array=1-8
    expect(resolveShard(sampler('auto'), { SLURM_ARRAY_TASK_ID: '8', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_COUNT: '8' })).toEqual({ index: 7, count: 8 });
    // --array=10-16:2
    expect(resolveShard(sampler('auto'), { SLURM_ARRAY_TASK_ID: '14', SLURM_ARRAY_TASK_MIN: '10', SLURM_ARRAY_TASK_STEP: '2', SLURM_ARRAY_TASK_COUNT: '4' })).toEqual({ index: 2, count: 4 });
    // Both engines' variables, agreeing.
    expect(resolveShard(sampler('auto', 4), { JOB_COMPLETION_INDEX: '1', SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '4' })).toEqual({ index: 1, count: 4 });
  });

  test('anything missing or inconsistent is a one-line user error', () => {
    fails(() => resolveShard(sampler('auto'), {}), 'no shard index', 'JOB_COMPLETION_INDEX', 'SLURM_ARRAY_TASK_ID');
    fails(() => resolveShard(sampler('auto'), { JOB_COMPLETION_INDEX: '1' }), 'shard 1 of how many', '--shards N', 'DDIM_SHARDS');
    fails(() => resolveShard(sampler('auto', 4), { JOB_COMPLETION_INDEX: '4' }), 'shard index 4 is not below the shard count 4');
    fails(() => resolveShard(sampler('auto', 4), { JOB_COMPLETION_INDEX: 'one' }), 'JOB_COMPLETION_INDEX="one": expected an integer >= 0');
    fails(() => resolveShard(sampler('auto', 4), { JOB_COMPLETION_INDEX: '1.5' }), 'JOB_COMPLETION_INDEX="1.5"');
    fails(() => resolveShard(sampler('auto'), { JOB_COMPLETION_INDEX: '1', DDIM_SHARDS: '0' }), 'DDIM_SHARDS="0": expected an integer >= 1');
    fails(() => resolveShard(sampler('auto', 4), { JOB_COMPLETION_INDEX: '1', DDIM_SHARDS: '8' }), 'the shard count differs: --shards=4 but DDIM_SHARDS=8');
    fails(
      () => resolveShard(sampler('auto'), { JOB_COMPLETION_INDEX: '1', SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_COUNT: '4' }),
      'the shard index differs: JOB_COMPLETION_INDEX=1 but SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN=2',
    );
    fails(() => resolveShard(sampler('auto'), { SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_COUNT: '4' }), 'is not SLURM_ARRAY_TASK_MIN (1)');
    // --array=1,3,7: IDs minus MIN run past COUNT
    fails(() => resolveShard(sampler('auto'), { SLURM_ARRAY_TASK_ID: '7', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_COUNT: '3' }), 'shard index 6 is not below the shard count 3');
    fails(() => resolveShard(sampler(null, 4), {}), '--shards N only sets the count for --shard auto');
    fails(() => resolveShard(sampler('1/4', 2), {}), '--shard 1/4 and --shards 2 disagree');
    fails(() => resolveShard(sampler('0/2', null, true), {}), '--save_npy cannot go with --shard 0/2', 'samples.npy is one file');
  });

  test('the CLI says what was wrong in one line, exit 2, before loading the model', async () => {
    const dir = tempDirSync();
    const env = { JOB_COMPLETION_INDEX: '', SLURM_ARRAY_TASK_ID: '', DDIM_SHARDS: '' };
    expectUserError(await runCli(['sample', '--shard', 'auto', '--save_dir', dir, ...FAST], { env }), '--shard auto: no shard index');
    expectUserError(await runCli(['sample', '--shard', 'auto', '--save_dir', dir, ...FAST], { env: { ...env, JOB_COMPLETION_INDEX: '5', DDIM_SHARDS: '4' } }), 'shard index 5 is not below the shard count 4');
    expectUserError(await runCli(['sample', '--shard', '4/4', '--save_dir', dir, ...FAST]), '--shard: expected "k/n" (shard k of n, 0 <= k < n) or "auto", got "4/4"');
    expectUserError(await runCli(['sample', '--shard', '0/2', '--save_npy', '--save_dir', dir, ...FAST]), '--save_npy cannot go with --shard 0/2');
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('sharded runs', () => {
  test('shards whose boundaries cut micro-batches write the bytes of one run, each with its own record', async () => {
    const whole = tempDirSync();
    const sharded = tempDirSync();
    const args = ['sample', '--n_samples', '10', ...FAST];
    expect((await runCli([...args, '--micro_batch', '3', '--save_dir', whole])).exitCode).toBe(0);
    // micro_batch 4: batches [0,4) [4,8) [8,10) against shards [0,3) [3,6) [6,10).
    const warnings = await runShards([...args, '--micro_batch', '4'], sharded, 3);
    expect(warnings[0]).toBe(
      'warning: --shard 0/3: a micro-batch of 4 items is more than a shard\'s 3, and a batch that straddles a shard boundary is computed whole by both shards; --micro_batch 3 or less spares most of that work',
    );
    expect(readdirSync(sharded).filter((name) => !name.endsWith('.png')).sort()).toEqual(['run.shard-0-of-3.json', 'run.shard-1-of-3.json', 'run.shard-2-of-3.json']);
    expectSameFiles(pngs(sharded), pngs(whole));
    const expectedRanges = [[0, 3], [3, 6], [6, 10]];
    for (let k = 0; k < 3; k++) {
      const run = record(sharded, `run.shard-${k}-of-3.json`);
      expect(run.status).toBe('complete');
      expect(run.fingerprint).toBe(record(whole, 'run.json').fingerprint);
      expect([run.shard.start, run.shard.end]).toEqual(expectedRanges[k]!);
      expect(run.written).toBe(run.shard.end - run.shard.start);
      // A straddling batch is computed whole: at most micro_batch − 1 extra items per boundary.
      expect(run.computed).toBeLessThanOrEqual(run.written + 2 * 3);
      expect(run.batch_invariant).toBe(true);
      expect(run.batch_probe.digest).toBe(record(whole, 'run.json').batch_probe.digest);
    }
    expect(record(sharded, 'run.shard-1-of-3.json').computed).toBe(8); // [0,4) and [4,8) for items 3..5
  });

  test('other modes shard the same way: interpolation rows, a reconstruction, and a third-party mode that never asks isDone', async () => {
    const cases = [
      ['sample', '--mode', 'interpolate', '--n_samples', '3', '--n_interpolate', '3', '--micro_batch', '3', ...FAST],
      ['sample', '-c', join(PARITY, 'reconstruction_uniform20', 'config.yaml'), '--weights', TINY_MODEL, '--mode', 'reconstruction',
        '--input_dir', join(PARITY, 'reconstruction_uniform20', 'inputs'), '--n_samples', '3', '--micro_batch', '2', ...FAST],
      ['sample', '-c', join(ROOT, 'test/fixtures/plugins.yaml'), '--n_samples', '3', '--micro_batch', '2', '--quiet'],
    ];
    for (const args of cases) {
      const whole = tempDirSync();
      const sharded = tempDirSync();
      expect((await runCli([...args, '--save_dir', whole])).exitCode).toBe(0);
      await runShards(args, sharded, 2);
      expect(pngs(whole).size).toBe(3);
      expectSameFiles(pngs(sharded), pngs(whole));
    }
  });

  test('a shard of another run, another split or another batch probe is refused; an unsharded run may finish the folder', async () => {
    const dir = tempDirSync();
    const args = ['sample', '--n_samples', '8', '--micro_batch', '2', ...FAST, '--save_dir', dir];
    expect((await runCli([...args, '--shard', '0/2'])).exitCode).toBe(0);
    expectUserError(await runCli([...args, '--shard', '1/2', '--seed', '7']), 'holds results of another run (other settings, model or noise file; see its run.shard-0-of-2.json)');
    expectUserError(await runCli([...args, '--shard', '1/4']), 'another split of the items: shard 0/2 of 8 items there, shard 1/4 of 8 items here');
    expectUserError(await runCli([...args, '--shard', '1/2', '--n_samples', '10']), 'shard 0/2 of 8 items there, shard 1/2 of 10 items here');

    // A record made where the model computes other numbers (another CPU, say).
    const name = join(dir, 'run.shard-0-of-2.json');
    const original = readFileSync(name, 'utf8');
    const run = JSON.parse(original);
    writeFileSync(name, JSON.stringify({ ...run, batch_probe: { ...run.batch_probe, digest: '0123456789abcdef' } }));
    expectUserError(await runCli([...args, '--shard', '1/2']), 'the model computes other numbers: batch probe 0123456789abcdef there');
    writeFileSync(name, original);

    expect(existsSync(join(dir, '4.png'))).toBe(false);
    const finish = await runCli(args);
    expect(finish.exitCode).toBe(0);
    expect(record(dir, 'run.json').computed).toBe(4);
    expect(pngs(dir).size).toBe(8);
    // and a shard may join a folder an unsharded run wrote: nothing left to do.
    expect((await runCli([...args, '--shard', '1/2'])).exitCode).toBe(0);
    expect(record(dir, 'run.shard-1-of-2.json').computed).toBe(0);
  });
});
