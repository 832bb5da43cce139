/**
 * `ddim sample` when its save_dir fails it: a full disk, a read-only mount, a folder that is
 * removed mid-run, a path through a file. One line that names the path and the cause, a
 * non-zero exit, run.json marked failed where it can be written, no temp or partial files,
 * and a rerun that continues once the cause is gone. A full disk is a writer that fails as
 * one does (deterministic, no root), and a real tmpfs where this machine may mount one.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPipeline, loadConfig, runOptionOverrides, type Pipeline } from '../index.ts';
import { writeFileAtomic } from '../core/io/atomic-file.ts';
import { fileSink } from '../core/sinks/file-sink.ts';
import { cliCommand, runCli } from './support/cli.ts';
import { DEFAULT_CONFIG, tempDirSync } from './support/fixtures.ts';

const RUN = ['--n_samples', '12', '--micro_batch', '4', '--skip_steps', '2', '--seed', '5', '--quiet'];
const record = (dir: string) => JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as { status: string; error?: string };
const leftovers = (dir: string) => readdirSync(dir).filter((name) => !/^(\d+\.png|run\.json)$/.test(name));
/** stderr holds one line, an `error:` line, and no stack trace. */
function expectOneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toStartWith('error: ');
  expect(stderr).not.toMatch(/\n\s+at |\^/);
  return lines[0]!;
}

/** Runs `body` on a fresh 1 MB tmpfs, or says why it cannot and skips (mounting needs privileges CI may not have). */
async function withTmpfs(body: (mount: string) => Promise<void>): Promise<void> {
  const mount = tempDirSync('ddim-tmpfs-');
  const mounted = Bun.spawnSync(['mount', '-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mount], { stderr: 'pipe' });
  if (mounted.exitCode !== 0) {
    console.log(`skipped: cannot mount a tmpfs here (${mounted.stderr.toString().trim()})`);
    return;
  }
  try {
    await body(mount);
  } finally {
    Bun.spawnSync(['umount', mount]);
  }
}

let pipeline: Pipeline | undefined;
afterAll(() => pipeline?.dispose());

describe('a full disk', () => {
  test('fails the run in one line, marks run.json failed, leaves no temp file, and a rerun continues', async () => {
    const config = loadConfig(DEFAULT_CONFIG, { overrides: runOptionOverrides({ n_samples: 12, micro_batch: 4, skip_steps: 2, seed: 5 }) });
    pipeline = await createPipeline(config);
    const dir = tempDirSync('ddim-full-');
    // The disk fills after run.json and five images: every later file fails as write(2) does.
    let room = 6;
    const fullDisk = async (path: string, data: Uint8Array | string) => {
      if (room-- <= 0) throw Object.assign(new Error(`ENOSPC: no space left on device, write '${path}.1.tmp'`), { code: 'ENOSPC' });
      await writeFileAtomic(path, data);
    };
    const error = await pipeline.run({ sink: fileSink(dir, { writeFile: fullDisk }) }).then(
      () => new Error('the run did not fail'),
      (e: unknown) => e as Error,
    );
    expect(error.message).toMatch(new RegExp(`^cannot write ${dir}/\\d+\\.png: no space left on device; free some space and rerun the same command to continue$`));
    expect((error as { exitCode?: number }).exitCode).toBe(1);
    expect(record(dir)).toMatchObject({ status: 'failed', error: error.message });
    expect(leftovers(dir)).toEqual([]);
    const kept = readdirSync(dir).filter((name) => name.endsWith('.png')).length;
    expect(kept).toBe(5); // the first micro-batch whole, and the one image of the second that fitted
    const summary = await pipeline.run({ sink: fileSink(dir) });
    expect([summary.items, summary.computed]).toEqual([12, 8]); // the finished batch is kept
    expect(record(dir).status).toBe('complete');
  }, 120_000);

  test('where even run.json cannot be replaced, the failure is written over it in place', async () => {
    const dir = tempDirSync('ddim-full-');
    let room = 1; // run.json, then nothing: no temp file fits
    const fullDisk = async (path: string, data: Uint8Array | string) => {
      if (room-- <= 0) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      await writeFileAtomic(path, data);
    };
    await expect(pipeline!.run({ sink: fileSink(dir, { writeFile: fullDisk }) })).rejects.toThrow('0.png: no space left on device');
    expect(record(dir)).toMatchObject({ status: 'failed', error: expect.stringContaining('no space left on device') });
    expect(leftovers(dir)).toEqual([]);
  }, 120_000);

  test('by the CLI into a real 1 MB tmpfs (where this machine lets a test mount one)', async () => {
    await withTmpfs(async (mount) => {
      writeFileSync(join(mount, 'filler'), new Uint8Array(1024 * 1024 - 24 * 1024)); // room for a few images
      const dir = join(mount, 'out');
      const full = await runCli(['sample', ...RUN, '--n_samples', '64', '--save_dir', dir]);
      expect(full.exitCode).toBe(1);
      expect(expectOneLine(full.stderr)).toMatch(new RegExp(`^error: cannot write ${dir}/\\d+\\.png: no space left on device; free some space`));
      expect(record(dir).status).toBe('failed');
      expect(leftovers(dir)).toEqual([]);
      rmSync(join(mount, 'filler'));
      const rerun = await runCli(['sample', ...RUN, '--n_samples', '64', '--save_dir', dir]);
      expect([rerun.exitCode, rerun.stderr]).toEqual([0, '']);
      expect(record(dir).status).toBe('complete');
      expect(readdirSync(dir).filter((name) => name.endsWith('.png'))).toHaveLength(64);
    });
  }, 120_000);
});

describe('a save_dir that cannot be written', () => {
  test('a path through a file: one line naming it, exit 2, nothing written', async () => {
    const file = join(tempDirSync(), 'not-a-folder');
    writeFileSync(file, 'x');
    const run = await runCli(['sample', ...RUN, '--save_dir', join(file, 'out')]);
    expect(run.exitCode).toBe(2);
    expect(expectOneLine(run.stderr)).toBe(`error: cannot use save_dir ${join(file, 'out')}: a part of the path is a file, not a folder`);
  }, 120_000);

  test('removed mid-run: one line naming the file and the cause, exit 1, no stack trace', async () => {
    const dir = join(tempDirSync(), 'vanishing');
    mkdirSync(dir);
    const child = Bun.spawn([...cliCommand(), 'sample', ...RUN, '--n_samples', '400', '--save_dir', dir], { stdout: 'pipe', stderr: 'pipe', env: { ...process.env, NO_COLOR: '1' } });
    while (!existsSync(join(dir, '0.png')) && child.exitCode === null) await Bun.sleep(10);
    rmSync(dir, { recursive: true, force: true });
    const [stderr, code] = await Promise.all([new Response(child.stderr).text(), child.exited]);
    expect(code).toBe(1);
    expect(expectOneLine(stderr)).toMatch(
      new RegExp(`^error: cannot write ${dir}/\\d+\\.png: no such file or directory \\(was the folder removed\\?\\) \\(run\\.json could not be marked failed either\\)$`),
    );
    expect(existsSync(dir)).toBe(false); // not made again behind the user's back
  }, 120_000);

  test('on a read-only mount (where this machine lets a test mount one): one line, exit non-zero, the old record kept', async () => {
    await withTmpfs(async (mount) => {
      const dir = join(mount, 'out');
      expect((await runCli(['sample', ...RUN, '--save_dir', dir])).exitCode).toBe(0);
      expect(Bun.spawnSync(['mount', '-o', 'remount,ro', mount]).exitCode).toBe(0);
      const more = await runCli(['sample', ...RUN, '--n_samples', '16', '--save_dir', dir]);
      expect(more.exitCode).toBe(1);
      expect(expectOneLine(more.stderr)).toBe(`error: cannot write ${dir}/run.json: read-only file system`);
      expect(record(dir).status).toBe('complete');
      const fresh = await runCli(['sample', ...RUN, '--save_dir', join(mount, 'new')]);
      expect(fresh.exitCode).toBe(2);
      expect(expectOneLine(fresh.stderr)).toBe(`error: cannot use save_dir ${join(mount, 'new')}: read-only file system`);
    });
  }, 120_000);
});
