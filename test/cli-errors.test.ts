/** `ddim sample` on bad input: one line on stderr naming what was wrong, exit code 2, no stack trace. */
import { describe, expect, test } from 'bun:test';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expectUserError, runCli } from './support/cli.ts';
import { PARITY, TINY_MODEL, tempDirSync } from './support/fixtures.ts';

const FAST = ['--skip_steps', '4', '--quiet'];

describe('bad flags and config values', () => {
  test('a wrong value in the config names the file, the key and the valid values', async () => {
    const dir = tempDirSync();
    const config = join(dir, 'x.yaml');
    writeFileSync(config, 'data: {img_size: 32, img_channels: 3}\ndiffusion:\n  params:\n    objective: pred_e\n');
    expectUserError(await runCli(['sample', '-c', config, '--weights', TINY_MODEL, '--save_dir', dir]), 'x.yaml: diffusion.params.objective: expected one of pred_eps|pred_x0|pred_v, got "pred_e"');
  });

  test('a dotted override is validated like the file', async () => {
    expectUserError(await runCli(['sample', 'diffusion.params.beta_schedule=cosin']), 'diffusion.params.beta_schedule=cosin', 'did you mean "cosine"');
  });

  test('unknown flags, schedules and modes list what is valid', async () => {
    expectUserError(await runCli(['sample', '--n_sample', '3']), 'unknown flag --n_sample', '--n_samples');
    expectUserError(await runCli(['sample', '--skip_type', 'quadd', ...FAST]), 'unknown schedule "quadd". Must be one of [uniform, quad, linspace, trailing, uniform-linspace, uniform-trailing, quad-float32]');
    expectUserError(await runCli(['sample', '--mode', 'interpolation', ...FAST]), 'unknown mode "interpolation". Must be one of [sample, interpolate, reconstruction, sdedit, inpaint, ilvr, trajectory]');
    expectUserError(await runCli(['sampel']), 'unknown command "sampel"');
  });

  test('out-of-range values name the flag', async () => {
    expectUserError(await runCli(['sample', '--ddim_eta', '2']), '--ddim_eta: expected eta in [0, 1], got 2');
    expectUserError(await runCli(['sample', '--n_samples', 'many']), '--n_samples: expected number, got "many"');
    expectUserError(await runCli(['sample', '--skip_steps', '5000']), 'at most total_steps (1000)');
  });

  test('flag typos: an empty value, a synonym, a misspelling, a top-level override typo', async () => {
    expectUserError(await runCli(['sample', '--skip_steps=']), '--skip_steps: expected a value after "=", got nothing');
    expectUserError(await runCli(['sample', '--eta', '0.5']), 'unknown flag --eta (did you mean --ddim_eta?)');
    expectUserError(await runCli(['sample', '--nsamples', '3']), 'unknown flag --nsamples (did you mean --n_samples?)');
    expectUserError(await runCli(['sample', 'difusion.params.skip_steps=3']), 'unknown top-level key "difusion"', 'did you mean "diffusion"');
    expectUserError(await runCli(['sample', 'skip_steps=3']), 'did you mean diffusion.params.skip_steps=… or --skip_steps?');
    expectUserError(await runCli(['sample', 'diffusion.param.skip_steps=3']), 'diffusion.param: unknown key; valid keys: target, params');
  });
});

describe('bad files', () => {
  test('a missing, corrupt or mismatched model fails before sampling, naming the file', async () => {
    const dir = tempDirSync();
    expectUserError(await runCli(['sample', '--weights', join(dir, 'none.onnx'), '--save_dir', dir]), 'model file not found', 'none.onnx');
    const corrupt = join(dir, 'corrupt.onnx');
    writeFileSync(corrupt, 'not a model at all');
    expectUserError(await runCli(['sample', '--weights', corrupt, '--save_dir', dir]), 'cannot load model', 'corrupt.onnx');
    // The default config is 1-channel; the parity model takes 3 channels.
    expectUserError(await runCli(['sample', '--weights', TINY_MODEL, '--save_dir', join(dir, 'out')]), 'takes x [B,3,32,32] but the config says data.img_channels=1');
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  test('reconstruction without usable inputs says so', async () => {
    const empty = tempDirSync();
    expectUserError(await runCli(['sample', '--mode', 'reconstruction', ...FAST]), 'needs input images', '--input_dir');
    expectUserError(await runCli(['sample', '--mode', 'reconstruction', '--input_dir', empty, ...FAST]), 'no images');
    writeFileSync(join(empty, 'broken.png'), 'garbage');
    expectUserError(await runCli(['sample', '--mode', 'reconstruction', '--input_dir', empty, '--save_dir', join(empty, 'o'), ...FAST]), 'cannot read image', 'broken.png');
  });

  test('a noise file with too few rows is refused', async () => {
    const noise = join(PARITY, 'sample_uniform10', 'noise.npy');
    const result = await runCli(['sample', '-c', join(PARITY, 'sample_uniform10', 'config.yaml'), '--weights', TINY_MODEL, '--noise', noise, '--n_samples', '5', '--save_dir', tempDirSync(), ...FAST]);
    expectUserError(result, 'has 4 rows, this run needs at least 5');
  });

  test('a missing or misshapen noise file, and a noise file for reconstruction, fail in one line', async () => {
    const dir = tempDirSync();
    expectUserError(await runCli(['sample', '--noise', join(dir, 'missing.npy'), '--save_dir', dir, ...FAST]), 'cannot read noise file', 'missing.npy');
    // the parity noise is [4,3,32,32]; the default model takes [1,32,32]
    const noise = join(PARITY, 'sample_uniform10', 'noise.npy');
    expectUserError(await runCli(['sample', '--noise', noise, '--save_dir', dir, ...FAST]), 'expected an array of shape [N,1,32,32]', 'got [4,3,32,32]');
    const inputs = join(PARITY, 'reconstruction_uniform20', 'inputs');
    expectUserError(
      await runCli(['sample', '-c', join(PARITY, 'reconstruction_uniform20', 'config.yaml'), '--weights', TINY_MODEL, '--mode', 'reconstruction', '--input_dir', inputs, '--noise', noise, '--save_dir', dir, ...FAST]),
      '--noise (sampler.noise): mode "reconstruction" starts from its input images',
    );
    expect(readdirSync(dir)).toEqual([]);
  });

  test('a save_dir that is a file or cannot be created fails in one line', async () => {
    const dir = tempDirSync();
    const file = join(dir, 'afile');
    writeFileSync(file, 'x');
    expectUserError(await runCli(['sample', '--n_samples', '1', '--save_dir', file, ...FAST]), `cannot use save_dir ${file}`);
    expectUserError(await runCli(['sample', '--n_samples', '1', '--save_dir', join(file, 'below'), ...FAST]), 'cannot use save_dir', 'below');
  });
});

// Machines with onnxruntime-node's CUDA binaries installed really run CUDA; CI has none.
const hasCudaBinaries = existsSync(join(import.meta.dir, '../node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so'));

describe.skipIf(hasCudaBinaries)('execution providers without CUDA binaries', () => {
  test('--provider cuda alone fails in one line naming the provider', async () => {
    expectUserError(await runCli(['sample', '--provider', 'cuda', '--save_dir', tempDirSync(), ...FAST]), 'execution provider "cuda" is not available', 'valid here: cpu');
  });

  test('[cuda, cpu] falls back to the CPU with a warning and records what ran', async () => {
    const dir = tempDirSync();
    const result = await runCli(['sample', '--provider', 'cuda', '--provider', 'cpu', '--n_samples', '1', '--save_dir', dir, '--skip_steps', '2']);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain('warning: execution provider "cuda" is not available');
    expect(result.stderr).not.toContain('onnxruntime_src');
    expect(JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')).model.providers).toEqual(['cpu']);
  });

  test('an unknown provider is refused by the config schema', async () => {
    expectUserError(await runCli(['sample', '--provider', 'tpu', ...FAST]), '--provider: expected one of cpu|cuda|webgpu, got "tpu"');
  });
});

describe('suggestions and clean lines', () => {
  test('a misspelt command gets "did you mean"', async () => {
    expectUserError(await runCli(['smaple']), 'unknown command "smaple"; valid commands: sample, serve, eval, plugins, verify, help (did you mean "sample"?)');
  });

  test('--provider gpu is pointed at the GPU providers, not at cpu', async () => {
    const result = await runCli(['sample', '--provider', 'gpu', ...FAST]);
    expectUserError(result, '--provider: expected one of cpu|cuda|webgpu, got "gpu" (did you mean "cuda" or "webgpu"?)');
    expect(result.stderr).not.toContain('"cpu"?');
  });

  test('a YAML error is one line that ends on where it is, not on a dangling colon', async () => {
    const dir = tempDirSync();
    const config = join(dir, 'bad.yaml');
    writeFileSync(config, 'data:\n  img_size: 32\n img_channels: 3\n');
    const result = await runCli(['sample', '-c', config, '--save_dir', join(dir, 'out')]);
    expectUserError(result, 'bad.yaml: not valid YAML: All mapping items must start at the same column at line 3, column 1');
    expect(result.stderr.trimEnd()).toEndWith('at line 3, column 1');
  });
});
