/**
 * The web backend (onnxruntime-web, WebAssembly) behind the same model interface: the parity
 * cases through the real CLI with `--backend web`, to the native backend's limits, and the
 * shipped model's PNGs against the native backend's.
 */
import { describe, expect, test } from 'bun:test';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseNpy } from '../core/io/npy.ts';
import { runCli } from './support/cli.ts';
import { WEB_SAMPLES_LIMIT, maxAbsDiff } from './support/sample-diff.ts';
import { PARITY, TINY_MODEL, tempDirSync } from './support/fixtures.ts';
import { type PixelDiff, expectWithinBackendLimit, pixelDiff } from './support/pixel-diff.ts';

/** The execution providers a run recorded in its run.json: what really ran. */
const providersOf = (dir: string): string[] => JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')).model.providers;

// Reconstruction is left to the native test: its end-to-end figure is ill-conditioned by design.
const cases = readdirSync(PARITY).filter((name) => existsSync(join(PARITY, name, 'case.json')) && !name.startsWith('reconstruction'));

describe('the web backend', () => {
  for (const name of cases) {
    test(`${name}: --backend web reproduces expected.npy`, async () => {
      const dir = join(PARITY, name);
      const spec = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as { args: string[] };
      const out = tempDirSync();
      const result = await runCli(['sample', '-c', 'config.yaml', '--weights', TINY_MODEL, ...spec.args, '--backend', 'web', '--save_dir', out, '--save_npy', '--quiet'], { cwd: dir });
      expect(result.exitCode).toBe(0);
      expect(providersOf(out)).toEqual(['wasm']);
      const ours = parseNpy(readFileSync(join(out, 'samples.npy'))).data as Float32Array;
      const expected = parseNpy(readFileSync(join(dir, 'expected.npy'))).data as Float32Array;
      expect(maxAbsDiff(ours, expected)).toBeLessThanOrEqual(WEB_SAMPLES_LIMIT);
    });
  }

  test('the shipped model: both backends ran (cpu and wasm in run.json), and their PNGs differ by at most one level on few pixels', async () => {
    const flags = ['--n_samples', '16', '--skip_steps', '20', '--seed', '7', '--micro_batch', '16', '--quiet'];
    const native = tempDirSync();
    const web = tempDirSync();
    expect((await runCli(['sample', ...flags, '--save_dir', native])).exitCode).toBe(0);
    expect((await runCli(['sample', ...flags, '--backend', 'web', '--save_dir', web])).exitCode).toBe(0);
    // Two different backends really ran (onnxruntime-node on the CPU, onnxruntime-web's
    // WebAssembly): two native runs would pass the comparison below byte for byte.
    expect(providersOf(native)).toEqual(['cpu']);
    expect(providersOf(web)).toEqual(['wasm']);
    const tally: PixelDiff = { pixels: 0, differing: 0, largest: 0 };
    for (let i = 0; i < 16; i++) pixelDiff(readFileSync(join(native, `${i}.png`)), readFileSync(join(web, `${i}.png`)), tally);
    expect(tally.pixels).toBe(16 * 32 * 32);
    expectWithinBackendLimit(tally, 'web vs native backend');
  });

  test('an unknown backend is a one-line error naming the valid ones', async () => {
    const result = await runCli(['sample', '--backend', 'wasm', '--n_samples', '1', '--save_dir', tempDirSync(), '--quiet']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('native');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });
});
