/**
 * `bun bench/shards.ts [--samples 64] [--steps 10] [--rounds 3] [--micro_batch M]`: the throughput of 2 shards
 * run side by side (`--shard 0/2` and `1/2`, one thread each, the default micro_batch) as a
 * ratio of one process's (two threads) over the same samples. Each shard computes only its own
 * items, so on 2 cores the ratio should be near 1 (target >= 0.9); rounds alternate, medians compared.
 * `--micro_batch 64` gives every run that batch instead: each shard then computes all 64 (the
 * behaviour before shards fitted their batches), for comparison.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './measure.ts';

const flag = (name: string, fallback: number) => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
};
const samples = flag('samples', 64);
const steps = flag('steps', 10);
const rounds = flag('rounds', 3);
const microBatch = process.argv.includes('--micro_batch') ? ['--micro_batch', String(flag('micro_batch', 500))] : [];
const base = ['bun', join(ROOT, 'cli.ts'), 'sample', '--n_samples', String(samples), '--skip_steps', String(steps), '--quiet', ...microBatch];

/** Wall-clock ms of the commands run at once, each into `dir`; every one must succeed. */
async function wallMs(commands: string[][]): Promise<number> {
  const started = performance.now();
  const children = commands.map((command) => Bun.spawn(command, { stdout: 'ignore', stderr: 'pipe' }));
  const codes = await Promise.all(children.map((child) => child.exited));
  for (const [i, code] of codes.entries()) {
    if (code !== 0) throw new Error(`${commands[i]!.join(' ')} failed: ${await new Response(children[i]!.stderr).text()}`);
  }
  return performance.now() - started;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const one: number[] = [];
const sharded: number[] = [];
for (let round = 0; round < rounds; round++) {
  const dir = mkdtempSync(join(tmpdir(), 'ddim-bench-shards-'));
  try {
    one.push(await wallMs([[...base, '--threads', '2', '--save_dir', join(dir, 'one')]]));
    const shard = (k: number) => [...base, '--threads', '1', '--shard', `${k}/2`, '--save_dir', join(dir, 'sharded')];
    sharded.push(await wallMs([shard(0), shard(1)]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const ratio = median(one) / median(sharded);
console.log(`one process (--threads 2): ${one.map((ms) => (ms / 1000).toFixed(1)).join(', ')} s; median ${(samples / (median(one) / 1000)).toFixed(2)} samples/s`);
console.log(`2 shards side by side (--threads 1 each): ${sharded.map((ms) => (ms / 1000).toFixed(1)).join(', ')} s; median ${(samples / (median(sharded) / 1000)).toFixed(2)} samples/s`);
const batchNote = microBatch.length > 0 ? `, --micro_batch ${microBatch[1]}` : ', default micro_batch';
console.log(`throughput of 2 shards / one process (${samples} samples, ${steps} steps${batchNote}, ${navigator.hardwareConcurrency} cores): ${ratio.toFixed(2)} (target >= 0.9)`);
