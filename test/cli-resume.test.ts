/** `ddim sample` into a folder that already holds results: resuming, refusing other runs, atomic files. */
import { describe, expect, test } from 'bun:test';
import { existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { GRACEFUL_STOP, KILLED, cliCommand, expectUserError, pngs, runCli } from './support/cli.ts';
import { PARITY, ROOT, TINY_MODEL, tempDirSync } from './support/fixtures.ts';

const FAST = ['--skip_steps', '4', '--quiet'];

describe('resuming', () => {
  test('rerunning the same command restores missing images and leaves finished ones alone', async () => {
    const dir = tempDirSync();
    const args = ['sample', '--n_samples', '6', '--micro_batch', '2', '--save_dir', dir, ...FAST];
    expect((await runCli(args)).exitCode).toBe(0);
    const first = pngs(dir);
    rmSync(join(dir, '2.png'));
    rmSync(join(dir, '5.png'));
    const kept = statSync(join(dir, '0.png')).mtimeMs;
    expect((await runCli(args)).exitCode).toBe(0);
    const second = pngs(dir);
    expect(second.size).toBe(6);
    for (const [name, bytes] of first) expect(second.get(name)!.equals(bytes)).toBe(true);
    expect(statSync(join(dir, '0.png')).mtimeMs).toBe(kept);
    const run = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
    expect(run.computed).toBe(4); // two micro-batches of two had a missing file
  });

  test('a reconstruction resumes, even with its save_dir inside its input_dir, whose results it never reads back', async () => {
    const inputs = tempDirSync();
    for (const name of readdirSync(join(PARITY, 'reconstruction_uniform20', 'inputs'))) {
      writeFileSync(join(inputs, name), readFileSync(join(PARITY, 'reconstruction_uniform20', 'inputs', name)));
    }
    const out = join(inputs, 'out');
    const args = ['sample', '-c', join(PARITY, 'reconstruction_uniform20', 'config.yaml'), '--weights', TINY_MODEL, '--mode', 'reconstruction',
      '--input_dir', inputs, '--n_samples', '3', '--micro_batch', '1', '--save_dir', out, ...FAST];
    expect((await runCli(args)).exitCode).toBe(0);
    const first = pngs(out);
    rmSync(join(out, '1.png'));
    const again = await runCli(args);
    expect(again.exitCode).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')).computed).toBe(1);
    const second = pngs(out);
    expect([...second.keys()].sort()).toEqual(['0.png', '1.png', '2.png']);
    for (const [name, bytes] of first) expect(second.get(name)!.equals(bytes)).toBe(true);

    // Another --n_samples continues the same run, smaller or larger.
    const withCount = (n: number) => args.map((arg, i) => (args[i - 1] === '--n_samples' ? String(n) : arg));
    const fewer = await runCli(withCount(2));
    expect(fewer.exitCode).toBe(0);
    expect(fewer.stderr).toContain("also holds 1 image beyond this run's 2");
    const more = await runCli(withCount(4));
    expect(more.exitCode).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')).computed).toBe(1);
    expect(pngs(out).size).toBe(4);
    // An input image replaced under a result is another run.
    const names = readdirSync(inputs).filter((name) => name.endsWith('.png')).sort();
    writeFileSync(join(inputs, names[2]!), readFileSync(join(inputs, names[0]!)));
    expectUserError(await runCli(withCount(4)), `holds results made from other input images (2.png came from another ${names[2]})`);
  });

  test('an interrupted run keeps whole images only, exits 130, and a rerun completes it', async () => {
    const dir = tempDirSync();
    const args = ['sample', '--n_samples', '64', '--micro_batch', '4', '--skip_steps', '20', '--save_dir', dir, '--quiet'];
    const child = Bun.spawn([...cliCommand(), ...args], { cwd: ROOT, stdout: 'pipe', stderr: 'pipe' });
    const deadline = Date.now() + 60_000;
    while (!existsSync(join(dir, '0.png')) && Date.now() < deadline) await Bun.sleep(20);
    child.kill('SIGINT');
    const code = await child.exited;
    expect(code).toBe(130);
    // Stopped by the forwarded signal after its step, not killed by the supervisor.
    const stderr = await new Response(child.stderr).text();
    expect(stderr).toContain('rerun the same command to continue');
    expect(stderr).toContain(GRACEFUL_STOP);
    expect(stderr).not.toContain(KILLED);
    const leftovers = readdirSync(dir);
    expect(leftovers.filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const written = leftovers.filter((f) => f.endsWith('.png'));
    expect(written.length).toBeGreaterThan(0);
    expect(written.length).toBeLessThan(64);
    for (const f of written) expect((await sharp(join(dir, f)).metadata()).width).toBe(32);
    expect((await runCli(args)).exitCode).toBe(0);
    expect(pngs(dir).size).toBe(64);
  });
});

describe('what a save_dir may hold', () => {
  test('a run that failed before its first image does not hold its folder', async () => {
    const dir = tempDirSync();
    const noise = join(PARITY, 'sample_uniform10', 'noise.npy');
    const config = ['-c', join(PARITY, 'sample_uniform10', 'config.yaml'), '--weights', TINY_MODEL];
    expectUserError(await runCli(['sample', ...config, '--noise', noise, '--n_samples', '5', '--save_dir', dir, ...FAST]), 'this run needs at least 5');
    const fixed = await runCli(['sample', ...config, '--n_samples', '2', '--save_dir', dir, ...FAST]);
    expect(fixed.exitCode).toBe(0);
    expect(pngs(dir).size).toBe(2);
  });

  test('refuses to mix a run with other settings into a save_dir', async () => {
    const dir = tempDirSync();
    expect((await runCli(['sample', '--n_samples', '2', '--save_dir', dir, ...FAST])).exitCode).toBe(0);
    const result = await runCli(['sample', '--n_samples', '2', '--seed', '99', '--save_dir', dir, ...FAST]);
    expectUserError(result, 'holds results of another run (other settings, model or noise file');
  });

  test('a reconstruction may not write its results into its own input folder', async () => {
    const inputs = tempDirSync();
    writeFileSync(join(inputs, 'a.png'), readFileSync(join(PARITY, 'reconstruction_uniform20', 'inputs', readdirSync(join(PARITY, 'reconstruction_uniform20', 'inputs'))[0]!)));
    const result = await runCli(['sample', '-c', join(PARITY, 'reconstruction_uniform20', 'config.yaml'), '--weights', TINY_MODEL,
      '--mode', 'reconstruction', '--input_dir', inputs, '--n_samples', '1', '--save_dir', inputs, ...FAST]);
    expectUserError(result, '--input_dir and --save_dir are the same folder');
    expect(readdirSync(inputs)).toEqual(['a.png']);
  });

  test('images not written by a run of the toolkit are never taken for finished results', async () => {
    const dir = tempDirSync();
    writeFileSync(join(dir, '0.png'), 'somebody else\'s picture');
    expectUserError(await runCli(['sample', '--n_samples', '1', '--save_dir', dir, ...FAST]), 'holds results with no run.json');
    expect(readFileSync(join(dir, '0.png'), 'utf8')).toBe('somebody else\'s picture');
  });

  test('an edited noise file is another run; a smaller rerun warns about the extra images', async () => {
    const dir = tempDirSync();
    const noise = join(dir, 'noise.npy');
    const config = ['-c', join(PARITY, 'sample_uniform10', 'config.yaml'), '--weights', TINY_MODEL];
    const out = join(dir, 'out');
    writeFileSync(noise, readFileSync(join(PARITY, 'sample_uniform10', 'noise.npy')));
    expect((await runCli(['sample', ...config, '--noise', noise, '--n_samples', '3', '--save_dir', out, ...FAST])).exitCode).toBe(0);
    const fewer = await runCli(['sample', ...config, '--noise', noise, '--n_samples', '2', '--save_dir', out, ...FAST]);
    expect(fewer.exitCode).toBe(0);
    expect(fewer.stderr).toContain("also holds 1 image beyond this run's 2");
    writeFileSync(noise, readFileSync(join(PARITY, 'sample_quad20', 'noise.npy')));
    expectUserError(await runCli(['sample', ...config, '--noise', noise, '--n_samples', '3', '--save_dir', out, ...FAST]), 'holds results of another run (other settings, model or noise file');
  });
});
