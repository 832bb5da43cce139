/** Third-party plugins, written only against the public exports, loaded from YAML or --plugin. */
import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { parseNpy } from '../core/io/npy.ts';
import { runCli } from './support/cli.ts';
import { ROOT, tempDirSync } from './support/fixtures.ts';

const CONFIG = join(ROOT, 'test/fixtures/plugins.yaml');

describe('third-party plugins', () => {
  test('a schedule and a mode named in the config are used by name, with their options', async () => {
    const dir = tempDirSync();
    const result = await runCli(['sample', '-c', CONFIG, '--n_samples', '2', '--save_dir', dir, '--save_npy', '--quiet']);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    const run = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
    const expected: number[] = [];
    for (let t = 10; t < 1000; t += 250) expected.push(t);
    expect(run.timesteps).toEqual(expected);
    expect(run.mode).toBe('noise-and-sample');
    // The mode puts x_T and the sample side by side, framed.
    const meta = await sharp(join(dir, '0.png')).metadata();
    expect([meta.width, meta.height]).toEqual([2 * 32 + 3 * 2, 36]);

    // Its sample frame is exactly what the built-in sample mode draws on the same schedule.
    const plain = tempDirSync();
    const builtin = await runCli(['sample', '-c', CONFIG, '--mode', 'sample', '--n_samples', '2', '--save_dir', plain, '--save_npy', '--quiet']);
    expect(builtin.exitCode).toBe(0);
    const a = parseNpy(readFileSync(join(dir, 'samples.npy')));
    const b = parseNpy(readFileSync(join(plain, 'samples.npy')));
    expect([...a.data]).toEqual([...b.data]);
  });

  test('--plugin adds a module from the command line, and its option schema validates overrides', async () => {
    const dir = tempDirSync();
    const plugin = join(ROOT, 'test/fixtures/plugins/strided-schedule.ts');
    const ok = await runCli(['sample', '--plugin', plugin, '--skip_type', 'strided', '--n_samples', '1', '--save_dir', dir, '--quiet', 'sampler.options.strided.stride=400']);
    expect(ok.exitCode).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')).timesteps).toEqual([0, 400, 800]);

    const bad = await runCli(['sample', '--plugin', plugin, '--skip_type', 'strided', '--quiet', 'sampler.options.strided.stride=0']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr.trim()).toBe('error: sampler.options.strided.stride: stride must be >= 1, got 0');
  });

  test('a plugin name that is not registered lists the registered ones', async () => {
    const result = await runCli(['sample', '-c', CONFIG, '--mode', 'noise-and-sampel', '--quiet']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('unknown mode "noise-and-sampel". Must be one of [sample, interpolate, reconstruction, sdedit, inpaint, ilvr, trajectory, noise-and-sample]');
  });
});
