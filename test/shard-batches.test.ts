/** With the default micro_batch, a shard's batches lie inside its own range: n shards compute each item once. */
import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { shardBatchItems, shardRange } from '../core/sinks/shard.ts';
import { pngs, runCli } from './support/cli.ts';
import { tempDirSync } from './support/fixtures.ts';

const FAST = ['--skip_steps', '4', '--quiet'];
const record = (dir: string, name: string) => JSON.parse(readFileSync(join(dir, name), 'utf8'));

describe('shardBatchItems', () => {
  test('is the largest size up to the cap whose batches, counted from item 0, never cross the range', () => {
    expect(shardBatchItems({ start: 0, end: 16 }, 32, 500)).toBe(16);
    expect(shardBatchItems({ start: 16, end: 32 }, 32, 500)).toBe(16);
    expect(shardBatchItems({ start: 42, end: 57 }, 100, 500)).toBe(3);
    expect(shardBatchItems({ start: 6, end: 10 }, 10, 500)).toBe(6); // [6, 12) is cut at the last item
    expect(shardBatchItems({ start: 0, end: 10 }, 10, 4)).toBe(4); // a whole run keeps its size
    for (let items = 1; items <= 40; items++) {
      for (let count = 1; count <= 6; count++) {
        for (let cap = 1; cap <= 12; cap++) {
          for (let index = 0; index < count; index++) {
            const { start, end } = shardRange({ index, count }, items);
            const size = shardBatchItems({ start, end }, items, cap);
            expect(size).toBeGreaterThanOrEqual(1);
            expect(size).toBeLessThanOrEqual(cap);
            for (let first = 0; first < items; first += size) {
              const last = Math.min(first + size, items);
              const overlaps = first < end && last > start && start < end; // an empty range holds nothing to cross
              if (overlaps) expect([first >= start, last <= end]).toEqual([true, true]);
            }
          }
        }
      }
    }
  });
});

describe('sharded runs with the default micro_batch', () => {
  for (const [items, n] of [[32, 2], [10, 3]] as const) {
    test(`${n} shards of ${items} samples each compute only their own items, and write one run's bytes`, async () => {
      const whole = tempDirSync();
      const sharded = tempDirSync();
      const args = ['sample', '--n_samples', String(items), ...FAST];
      expect((await runCli([...args, '--save_dir', whole])).exitCode).toBe(0);
      for (let k = 0; k < n; k++) {
        const result = await runCli([...args, '--save_dir', sharded, '--shard', `${k}/${n}`]);
        expect(result.stderr).toBe(''); // no "a micro-batch is larger than a shard" warning
        expect(result.exitCode).toBe(0);
        const run = record(sharded, `run.shard-${k}-of-${n}.json`);
        const { start, end } = shardRange({ index: k, count: n }, items);
        // computed counts every item of every batch the mode ran: one model row each.
        expect([run.computed, run.written]).toEqual([end - start, end - start]);
      }
      const expected = pngs(whole);
      const actual = pngs(sharded);
      expect(actual.size).toBe(items);
      for (const [name, bytes] of expected) expect(actual.get(name)?.equals(bytes)).toBe(true);
    }, 120_000);
  }
});
