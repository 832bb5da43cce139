/**
 * `kill -9` at seeded random points of one `ddim sample` run, 20 times, resuming the same
 * command into the same folder each time: no kill ever leaves a partial or unreadable result,
 * leftover temp files are never taken for results, and the finished folder holds the
 * uninterrupted run's PNGs byte for byte.
 *
 * `ddim sample` runs under a supervisor (cli/supervise.ts), and a SIGKILL cannot be passed on:
 * each run is started in a process group of its own and the whole group is killed, as a
 * terminal or an orchestrator killing a job does.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { cliCommand, pngs, runCli } from './support/cli.ts';
import { seededRandom } from './support/eval-fixtures.ts';
import { ROOT, tempDirSync } from './support/fixtures.ts';

const N = 32;
const KILLS = 20;
const SEED = 20240917;
const args = (dir: string) => ['sample', '--n_samples', String(N), '--micro_batch', '2', '--skip_steps', '10', '--save_dir', dir, '--quiet'];

/** What a folder may hold at any moment: results, run.json, and temp files of core/io/atomic-file.ts (`NAME.PID.COUNTER.tmp`). */
const RESULT = /^(\d+)\.png$/;
const TEMP = /^(?:\d+\.png|run\.json)\.\d+\.\d+\.tmp$/;

interface Run {
  readonly child: ChildProcess;
  readonly started: number;
  exited: boolean;
  readonly exit: Promise<{ code: number | null; signal: string | null }>;
}

const running = new Set<number>();

/** Start the real CLI as the leader of a new process group (its supervised child joins the group). */
function start(argv: readonly string[]): Run {
  const [command, ...rest] = cliCommand();
  const child = spawn(command!, [...rest, ...argv], { cwd: ROOT, detached: true, stdio: 'ignore', env: { ...process.env, NO_COLOR: '1' } });
  running.add(child.pid!);
  const run: Run = {
    child,
    started: performance.now(),
    exited: false,
    exit: new Promise((resolve) => child.on('exit', (code, signal) => {
      run.exited = true;
      resolve({ code, signal });
    })),
  };
  return run;
}

/** Live (not zombie) processes of a process group, from /proc; elsewhere, whether kill(−pgid, 0) still finds one. */
function liveMembers(pgid: number): string[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    try {
      process.kill(-pgid, 0);
      return [`group ${pgid}`];
    } catch {
      return [];
    }
  }
  return entries.flatMap((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const [state, , group] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return Number(group) === pgid && state !== 'Z' && state !== 'X' ? [`${pid} (${state})`] : [];
    } catch {
      return []; // gone between the listing and the read
    }
  });
}

async function killGroup(run: Run): Promise<void> {
  const pgid = run.child.pid!;
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // the whole group had already exited
  }
  await run.exit;
  const until = performance.now() + 5000;
  while (liveMembers(pgid).length > 0 && performance.now() < until) await Bun.sleep(10);
  expect(liveMembers(pgid)).toEqual([]); // no sampling process outlives the kill
  running.delete(pgid);
}

/** Poll until `done()` or the run exits (or `timeoutMs` passes); `intervalMs` 0 polls as fast as a timer allows. */
async function until(run: Run, done: () => boolean, timeoutMs: number, intervalMs = 2): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!run.exited && !done() && performance.now() < deadline) await Bun.sleep(intervalMs);
}

const results = (dir: string) => readdirSync(dir).filter((name) => RESULT.test(name));
const temps = (dir: string) => readdirSync(dir).filter((name) => TEMP.test(name));

/** Everything in the folder is a whole result, run.json or a temp file; returns the number of results. */
async function checkFolder(dir: string): Promise<{ results: number; temps: number }> {
  const names = readdirSync(dir);
  const strangers = names.filter((name) => !RESULT.test(name) && name !== 'run.json' && !TEMP.test(name));
  expect(strangers).toEqual([]);
  const found = names.filter((name) => RESULT.test(name));
  for (const name of found) {
    expect(Number(RESULT.exec(name)![1])).toBeLessThan(N);
    // Decoding every pixel (not just the header) is what catches a truncated file.
    const { info } = await sharp(join(dir, name)).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([32, 32]);
  }
  if (names.includes('run.json')) expect(() => JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'))).not.toThrow();
  return { results: found.length, temps: names.filter((name) => TEMP.test(name)).length };
}

afterEach(() => {
  // A failed assertion must not leave a sampling process behind.
  for (const pgid of running) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  running.clear();
});

describe('kill -9 at random points', () => {
  test(`${KILLS} kills of one run, each resumed by the same command, leave whole files only and the uninterrupted run's bytes`, async () => {
    // The uninterrupted run: its bytes to compare with, and its pace, which sets the kill times.
    const reference = tempDirSync();
    const first = start(args(reference));
    await until(first, () => results(reference).length > 0, 60_000);
    const firstResultMs = performance.now() - first.started;
    expect((await first.exit).code).toBe(0);
    const wholeMs = performance.now() - first.started;
    running.delete(first.child.pid!);
    const expected = pngs(reference);
    expect(expected.size).toBe(N);
    const batchMs = Math.max(5, (wholeMs - firstResultMs) / (N / 2 - 1));

    const dir = tempDirSync();
    // What a kill in the middle of a write leaves, planted so that every run meets it:
    // half a PNG and a cut-off run.json under the atomic writer's temp names.
    writeFileSync(join(dir, '3.png.1.0.tmp'), expected.get('3.png')!.subarray(0, 200));
    writeFileSync(join(dir, 'run.json.1.1.tmp'), '{"fingerprint": "');

    const random = seededRandom(SEED);
    const seen = { partial: 0, temps: 0, kinds: { startup: 0, batch: 0, write: 0 } };
    for (let k = 0; k < KILLS; k++) {
      const kind = random.uniform();
      const fraction = random.uniform();
      const before = results(dir).length;
      const tempsBefore = temps(dir).length;
      const run = start(args(dir));
      if (kind < 0.25 || before === N) {
        // Anywhere from launch to about the first result: loading, claiming the folder, run.json.
        seen.kinds.startup++;
        await until(run, () => false, fraction * firstResultMs * 1.2);
      } else if (kind < 0.6) {
        // Somewhere inside the next micro-batch, after one more has been written.
        seen.kinds.batch++;
        await until(run, () => results(dir).length > before, 60_000);
        await until(run, () => false, fraction * batchMs);
      } else {
        // As soon as a new file name shows: inside a write, if the poll is quick enough.
        seen.kinds.write++;
        await until(run, () => temps(dir).length > tempsBefore || results(dir).length > before, 60_000, 0);
      }
      await killGroup(run);
      const found = await checkFolder(dir);
      if (found.results > 0 && found.results < N) seen.partial++;
      seen.temps = Math.max(seen.temps, found.temps);
    }
    // The schedule did what it is for: kills landed while results were partly written.
    expect(seen.partial).toBeGreaterThan(0);

    const last = await runCli(args(dir));
    expect(last.stderr).toBe('');
    expect(last.exitCode).toBe(0);
    await checkFolder(dir);
    const final = pngs(dir);
    expect([...final.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [name, bytes] of expected) expect(final.get(name)!.equals(bytes)).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')).status).toBe('complete');
    // The planted temp files are still there, never taken for results.
    expect(readdirSync(dir)).toContain('3.png.1.0.tmp');
    console.log(`kill -9: ${JSON.stringify(seen)}; reference run ${wholeMs.toFixed(0)} ms, first result at ${firstResultMs.toFixed(0)} ms`);
  }, 300_000);

  // An orphaned child would race a rerun in the same folder: it watches its parent and stops.
  test('a SIGKILL to the supervisor alone: its sampling child stops by itself within 2 s', async () => {
    const dir = tempDirSync();
    const run = start(['sample', '--n_samples', '200', '--micro_batch', '2', '--skip_steps', '50', '--save_dir', dir, '--quiet']);
    await until(run, () => results(dir).length > 0, 60_000);
    expect(run.exited).toBe(false);
    process.kill(run.child.pid!, 'SIGKILL');
    await run.exit;
    const stopBy = performance.now() + 2000;
    while (liveMembers(run.child.pid!).length > 0 && performance.now() < stopBy) await Bun.sleep(20);
    const left = liveMembers(run.child.pid!);
    await killGroup(run); // the orphan, if any: the group outlives its leader
    expect(left).toEqual([]);
  });
});
