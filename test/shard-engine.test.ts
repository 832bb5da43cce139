/**
 * The job engines for real: n CLI processes started at once into one folder with the
 * variables a Kubernetes Indexed Job or a Slurm job array gives them (`--shard auto`), one
 * of them killed with SIGKILL after its first image and started again (as Kubernetes retries
 * a failed index), then `ddim verify`; the folder holds a single process's PNGs byte for byte.
 * Also measures n = 1 against n = 2 processes on this machine.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { cliCommand, pngs, runCli } from './support/cli.ts';
import { ROOT, tempDirSync } from './support/fixtures.ts';

const N = 16;
const SHARDS = 4;
const ARGS = ['sample', '--n_samples', String(N), '--micro_batch', '2', '--skip_steps', '20', '--quiet'];
/** Neither engine's variables leak in from the machine running the tests (a CI job may itself be a Slurm task). */
const CLEAN_ENV = { JOB_COMPLETION_INDEX: '', DDIM_SHARDS: '', SLURM_ARRAY_TASK_ID: '', SLURM_ARRAY_TASK_MIN: '', SLURM_ARRAY_TASK_COUNT: '', SLURM_ARRAY_TASK_STEP: '' };

interface Proc {
  readonly pid: number;
  readonly exit: Promise<{ code: number | null; signal: string | null }>;
}

const live = new Set<number>();

/** The real CLI as the leader of a process group of its own (its supervised child joins it), as a pod or a task is. */
function start(args: readonly string[], env: Record<string, string>): Proc {
  const [command, ...rest] = cliCommand();
  const child = spawn(command!, [...rest, ...args], { cwd: ROOT, detached: true, stdio: 'ignore', env: { ...process.env, NO_COLOR: '1', ...CLEAN_ENV, ...env } });
  const pid = child.pid!;
  live.add(pid);
  const exit = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      live.delete(pid);
      resolve({ code, signal });
    }),
  );
  return { pid, exit };
}

afterEach(() => {
  for (const pid of live) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {}
  }
  live.clear();
});

async function waitFor(path: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new Error(`${path} did not appear within ${ms} ms`);
    await Bun.sleep(10);
  }
}

/**
 * n processes at once with `envOf(k)`; shard `victim` is killed (the whole process group,
 * as the engine kills a pod or task) once its first image is on disk, then started again.
 */
async function runEngine(dir: string, envOf: (k: number) => Record<string, string>, victim: number): Promise<void> {
  const args = [...ARGS, '--shard', 'auto', '--save_dir', dir];
  const procs = Array.from({ length: SHARDS }, (_, k) => start(args, envOf(k)));
  const first = (victim * N) / SHARDS;
  const last = first + N / SHARDS - 1;
  await waitFor(join(dir, `${first}.png`));
  expect(existsSync(join(dir, `${last}.png`))).toBe(false); // killed mid-run, not after it
  process.kill(-procs[victim]!.pid, 'SIGKILL');
  expect(await procs[victim]!.exit).toEqual({ code: null, signal: 'SIGKILL' });
  const retry = start(args, envOf(victim));
  const exits = await Promise.all([...procs.filter((_, k) => k !== victim), retry].map((p) => p.exit));
  for (const exit of exits) expect(exit).toEqual({ code: 0, signal: null });
}

describe('sharded runs under job engines', () => {
  const reference = tempDirSync();
  const single = runCli([...ARGS, '--save_dir', reference]); // one process, all cores, same items

  async function expectOneRun(dir: string): Promise<void> {
    expect((await single).exitCode).toBe(0);
    const verify = await runCli(['verify', dir]);
    expect(verify.exitCode).toBe(0);
    expect(verify.stdout).toStartWith(`verify: ${N} of ${N} items, ${SHARDS} shard records agree, SHA256SUMS written\n`);
    const names = readdirSync(dir).filter((name) => name.startsWith('run.'));
    expect(names.sort()).toEqual(Array.from({ length: SHARDS }, (_, k) => `run.shard-${k}-of-${SHARDS}.json`));
    for (const name of names) expect(JSON.parse(readFileSync(join(dir, name), 'utf8')).status).toBe('complete');
    const expected = pngs(reference);
    const actual = pngs(dir);
    expect(actual.size).toBe(N);
    for (const [name, bytes] of expected) expect(actual.get(name)!.equals(bytes)).toBe(true);
  }

  test('a Kubernetes Indexed Job: JOB_COMPLETION_INDEX 0..3 and DDIM_SHARDS, index 1 killed and retried', async () => {
    const dir = tempDirSync();
    await runEngine(dir, (k) => ({ JOB_COMPLETION_INDEX: String(k), DDIM_SHARDS: String(SHARDS) }), 1);
    await expectOneRun(dir);
  });

  test('a Slurm job array (--array=1-4): SLURM_ARRAY_TASK_ID 1..4, _MIN 1, _COUNT 4, task 3 killed and requeued', async () => {
    const dir = tempDirSync();
    const env = (k: number) => ({ SLURM_ARRAY_TASK_ID: String(k + 1), SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_COUNT: String(SHARDS) });
    await runEngine(dir, env, 2);
    await expectOneRun(dir);
  });

  test('n = 2 processes of --threads 1 against one of --threads 2 (32 images, 20 steps, micro_batch 16): the same bytes, timings printed', async () => {
    const args = ['sample', '--n_samples', '32', '--micro_batch', '16', '--skip_steps', '20', '--quiet'];
    const one = tempDirSync();
    const two = tempDirSync();
    let started = performance.now();
    const alone = start([...args, '--threads', '2', '--save_dir', one], {});
    expect(await alone.exit).toEqual({ code: 0, signal: null });
    const oneSeconds = (performance.now() - started) / 1000;
    started = performance.now();
    const pair = [0, 1].map((k) => start([...args, '--threads', '1', '--shard', `${k}/2`, '--save_dir', two], {}));
    for (const exit of await Promise.all(pair.map((p) => p.exit))) expect(exit).toEqual({ code: 0, signal: null });
    const twoSeconds = (performance.now() - started) / 1000;
    console.log(
      `32 images, 20 steps, wall time from launch to last exit: n=1 (--threads 2) ${oneSeconds.toFixed(2)} s = ${(32 / oneSeconds).toFixed(1)} images/s; ` +
        `n=2 (--threads 1 each) ${twoSeconds.toFixed(2)} s = ${(32 / twoSeconds).toFixed(1)} images/s`,
    );
    const expected = pngs(one);
    const actual = pngs(two);
    expect(actual.size).toBe(32);
    for (const [name, bytes] of expected) expect(actual.get(name)!.equals(bytes)).toBe(true);
  });
});
