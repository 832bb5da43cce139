/**
 * The original code base's current configs (test/fixtures/reference/seed-configs-head) in the
 * CLI and in tools/export_onnx.py: the same images and input shape as its older-layout twins.
 */
import { describe, expect, test } from 'bun:test';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pngs, runCli } from './support/cli.ts';
import { ROOT, SEED_CONFIGS, SEED_CONFIGS_HEAD, TINY_MODEL, tempDirSync } from './support/fixtures.ts';

const PYTHON = '/usr/bin/python3';

async function sampleWith(config: string, flags: readonly string[]) {
  const dir = join(tempDirSync(), 'out');
  const result = await runCli(['sample', '-c', config, '--weights', TINY_MODEL, '--n_samples', '2', '--save_dir', dir, '--quiet', ...flags]);
  expect(result.stderr).toBe(''); // --quiet keeps warnings, so none were given
  expect(result.exitCode).toBe(0);
  const run = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as { timesteps: number[] };
  return { images: pngs(dir), timesteps: run.timesteps };
}

describe('the current layout in the CLI', () => {
  test('ddpm_cifar10 gives the bytes of the older layout, without a word on stderr', async () => {
    const head = await sampleWith(join(SEED_CONFIGS_HEAD, 'ddpm_cifar10.yaml'), ['--skip_steps', '4']);
    const old = await sampleWith(join(SEED_CONFIGS, 'ddpm_cifar10.yaml'), ['--skip_steps', '4']);
    expect(head.images.size).toBe(2);
    expect(head.images).toEqual(old.images);
  }, 120_000);

  test('--respace_type/--respace_steps give the timesteps and bytes of the schedule they map to', async () => {
    // quad for T = 1000, N = 6: floor(linspace(0, √800, 6)²). In float32, as PyTorch gives it
    // (torch.floor(torch.linspace(0, math.sqrt(800), 6) ** 2)), each square lands just below
    // 32, 128, 288, 512, which float64 reaches exactly.
    const head = await sampleWith(join(SEED_CONFIGS_HEAD, 'ddpm_cifar10.yaml'), ['--respace_type', 'quad', '--respace_steps', '6']);
    const old = await sampleWith(join(SEED_CONFIGS, 'ddpm_cifar10.yaml'), ['--skip_type', 'quad-float32', '--skip_steps', '6']);
    expect(head.timesteps).toEqual([0, 31, 127, 287, 511, 800]);
    expect(head.images).toEqual(old.images);
    const trailing = await sampleWith(join(SEED_CONFIGS_HEAD, 'ddpm_cifar10.yaml'), ['--respace_type', 'uniform-trailing', '--respace_steps', '3']);
    expect(trailing.timesteps).toEqual([0, 333, 666, 999]);
  }, 120_000);
});

describe('the current layout in tools/export_onnx.py', () => {
  const python = existsSync(PYTHON) && Bun.spawnSync([PYTHON, '-c', 'import torch, yaml']).exitCode === 0;
  if (!python) console.log(`skipped: ${PYTHON} with torch and yaml is needed (apt-get install python3-torch python3-yaml)`);

  test.skipIf(!python)('reads the input shape of every config, the same in both layouts', () => {
    const script = [
      'import json, sys, yaml',
      "sys.path.insert(0, 'tools')",
      'from export_onnx import input_shape',
      'print(json.dumps({p: list(input_shape(yaml.safe_load(open(p)))) for p in sys.argv[1:]}))',
    ].join('\n');
    const names = ['ddpm_cifar10.yaml', 'ddpm_mnist.yaml', 'ddpm_celebahq.yaml'];
    const files = names.flatMap((name) => [join(SEED_CONFIGS_HEAD, name), join(SEED_CONFIGS, name)]);
    const run = Bun.spawnSync([PYTHON, '-c', script, ...files], { cwd: ROOT });
    expect(run.stderr.toString()).toBe('');
    const shapes = JSON.parse(run.stdout.toString()) as Record<string, [number, number]>;
    expect(names.map((name) => shapes[join(SEED_CONFIGS_HEAD, name)])).toEqual([[3, 32], [1, 32], [3, 256]]);
    expect(names.map((name) => shapes[join(SEED_CONFIGS, name)])).toEqual([[3, 32], [1, 32], [3, 256]]);
  }, 120_000);
});
