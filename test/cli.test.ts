/** The sample command end to end, as a user runs it: real CLI, real models, real files. */
import { describe, expect, test } from 'bun:test';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { runCli } from './support/cli.ts';
import { PARITY, TINY_MODEL, tempDirSync } from './support/fixtures.ts';

const FAST = ['--skip_steps', '4', '--quiet'];

function pngs(dir: string): Map<string, Buffer> {
  const files = readdirSync(dir).filter((f) => f.endsWith('.png'));
  return new Map(files.map((f) => [f, readFileSync(join(dir, f))]));
}

/** The first channel of a PNG (grayscale results come back from sharp expanded to RGB). */
async function grayPixels(path: string): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(path).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** A user mistake: exit code 2, one line on stderr that says what was wrong, no stack trace. */
function expectUserError(result: { exitCode: number; stderr: string }, ...fragments: string[]) {
  expect(result.exitCode).toBe(2);
  const lines = result.stderr.trim().split('\n');
  expect(lines.length).toBe(1);
  expect(lines[0]!.startsWith('error: ')).toBe(true);
  for (const fragment of fragments) expect(lines[0]).toContain(fragment);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

describe('determinism', () => {
  test('the same seed gives byte-identical PNGs with micro_batch 1, 7 and 64, eta > 0 included', async () => {
    const runs = await Promise.all(
      [1, 7, 64].map(async (microBatch) => {
        const dir = tempDirSync();
        const result = await runCli(['sample', '--n_samples', '10', '--micro_batch', String(microBatch), '--ddim_eta', '0.5', '--seed', '7', '--save_dir', dir, ...FAST]);
        expect(result.exitCode).toBe(0);
        return pngs(dir);
      }),
    );
    expect(runs[0]!.size).toBe(10);
    for (const other of runs.slice(1)) {
      expect([...other.keys()].sort()).toEqual([...runs[0]!.keys()].sort());
      for (const [name, bytes] of runs[0]!) expect(other.get(name)!.equals(bytes)).toBe(true);
    }
  });

  test('interpolation rows are the same whether pairs share a model call or not', async () => {
    const [together, apart] = [tempDirSync(), tempDirSync()];
    const args = ['sample', '--mode', 'interpolate', '--n_samples', '3', '--n_interpolate', '4', '--ddim_eta', '1', ...FAST];
    expect((await runCli([...args, '--save_dir', together])).exitCode).toBe(0);
    expect((await runCli([...args, '--micro_batch', '4', '--save_dir', apart])).exitCode).toBe(0);
    const a = pngs(together);
    expect(a.size).toBe(3);
    for (const [name, bytes] of a) expect(pngs(apart).get(name)!.equals(bytes)).toBe(true);
  });

  test('sample i does not depend on how many samples run, and another seed changes it', async () => {
    const [few, many, otherSeed] = [tempDirSync(), tempDirSync(), tempDirSync()];
    await runCli(['sample', '--n_samples', '3', '--seed', '7', '--ddim_eta', '1', '--save_dir', few, ...FAST]);
    await runCli(['sample', '--n_samples', '5', '--seed', '7', '--ddim_eta', '1', '--save_dir', many, ...FAST]);
    await runCli(['sample', '--n_samples', '3', '--seed', '8', '--ddim_eta', '1', '--save_dir', otherSeed, ...FAST]);
    const a = pngs(few);
    const b = pngs(many);
    const c = pngs(otherSeed);
    expect(a.size).toBe(3);
    for (const [name, bytes] of a) {
      expect(b.get(name)!.equals(bytes)).toBe(true);
      expect(c.get(name)!.equals(bytes)).toBe(false);
    }
  });
});

describe('outputs', () => {
  test('sample writes {idx}.png, run.json and, with --save_npy, samples.npy', async () => {
    const dir = tempDirSync();
    const result = await runCli(['sample', '--n_samples', '3', '--save_dir', dir, '--save_npy', ...FAST]);
    expect(result.exitCode).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['0.png', '1.png', '2.png', 'run.json', 'samples.npy']);
    const meta = await sharp(join(dir, '0.png')).metadata();
    expect([meta.width, meta.height, meta.channels]).toEqual([32, 32, 1]);
    const run = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
    expect(run.status).toBe('complete');
    expect(run.timesteps).toEqual([0, 250, 500, 750]);
    expect(run.seed).toBe(2022);
    expect(run.model.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(run.config.diffusion.params.skip_steps).toBe(4);
    expect(run.timings.totalMs).toBeGreaterThan(0);
  });

  test('the PNG pixels are round((x+1)/2·255) of the clamped samples', async () => {
    const dir = tempDirSync();
    await runCli(['sample', '--n_samples', '2', '--save_dir', dir, '--save_npy', ...FAST]);
    const { parseNpy } = await import('../core/io/npy.ts');
    const samples = parseNpy(readFileSync(join(dir, 'samples.npy')));
    const { data: raw } = await grayPixels(join(dir, '1.png'));
    expect(raw.length).toBe(32 * 32);
    const offset = 32 * 32;
    for (let i = 0; i < raw.length; i++) {
      const x = Math.min(1, Math.max(-1, samples.data[offset + i]!));
      expect(raw[i]).toBe(Math.round(((x + 1) / 2) * 255));
    }
  });

  test('interpolate writes one framed row of n_interpolate frames per pair', async () => {
    const dir = tempDirSync();
    const result = await runCli(['sample', '--mode', 'interpolate', '--n_samples', '2', '--n_interpolate', '4', '--save_dir', dir, '--save_npy', ...FAST]);
    expect(result.exitCode).toBe(0);
    const { data: raw, width, height } = await grayPixels(join(dir, '1.png'));
    expect([width, height]).toEqual([4 * 32 + 5 * 2, 32 + 2 * 2]);
    for (const y of [0, 1, 34, 35]) for (let x = 0; x < width; x++) expect(raw[y * width + x]).toBe(0);
    for (const x of [0, 1, 34, 35, 68, 69, 136, 137]) for (let y = 0; y < 36; y++) expect(raw[y * width + x]).toBe(0);
    const { parseNpy } = await import('../core/io/npy.ts');
    expect(parseNpy(readFileSync(join(dir, 'samples.npy'))).shape).toEqual([2, 4, 1, 32, 32]);
  });

  test('reconstruction shows input | reconstruction and writes latents.npy', async () => {
    const dir = tempDirSync();
    const inputs = join(PARITY, 'reconstruction_uniform20', 'inputs');
    const result = await runCli(['sample', '--weights', TINY_MODEL, '-c', join(PARITY, 'reconstruction_uniform20', 'config.yaml'),
      '--mode', 'reconstruction', '--input_dir', inputs, '--n_samples', '3', '--save_dir', dir, '--save_npy', ...FAST]);
    expect(result.exitCode).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['0.png', '1.png', '2.png', 'latents.npy', 'run.json', 'samples.npy']);
    const meta = await sharp(join(dir, '0.png')).metadata();
    expect([meta.width, meta.height, meta.channels]).toEqual([2 * 32 + 3 * 2, 36, 3]);
    // The left frame is the input image itself.
    const picture = await sharp(join(dir, '0.png')).extract({ left: 2, top: 2, width: 32, height: 32 }).raw().toBuffer();
    const input = await sharp(join(inputs, '000.png')).raw().toBuffer();
    expect(picture.equals(input)).toBe(true);
  });

  test('reconstruction resizes and crops inputs of another size, walking folders in sorted order', async () => {
    const inputs = tempDirSync();
    mkdirSync(join(inputs, 'b'));
    await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 10, b: 10 } } }).jpeg().toFile(join(inputs, 'b', 'big.jpg'));
    await sharp({ create: { width: 20, height: 20, channels: 4, background: { r: 0, g: 0, b: 255, alpha: 1 } } }).webp().toFile(join(inputs, 'a.webp'));
    const dir = tempDirSync();
    const result = await runCli(['sample', '--mode', 'reconstruction', '--input_dir', inputs, '--save_dir', dir, ...FAST]);
    expect(result.exitCode).toBe(0);
    expect(readdirSync(dir).filter((f) => f.endsWith('.png')).sort()).toEqual(['0.png', '1.png']);
    // a.webp comes first: pure blue is darker in luminance than the red JPEG.
    const first = await grayPixels(join(dir, '0.png'));
    const second = await grayPixels(join(dir, '1.png'));
    const inputPixel = (p: { data: Buffer; width: number }) => p.data[2 * p.width + 2]!;
    expect(inputPixel(first)).toBeLessThan(inputPixel(second));
  });
});

describe('resuming and atomic output', () => {
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

  test('refuses to mix a run with other settings into a save_dir', async () => {
    const dir = tempDirSync();
    expect((await runCli(['sample', '--n_samples', '2', '--save_dir', dir, ...FAST])).exitCode).toBe(0);
    const result = await runCli(['sample', '--n_samples', '2', '--seed', '99', '--save_dir', dir, ...FAST]);
    expectUserError(result, 'holds results of another run (other settings, model or noise file');
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

  test('a reconstruction may not write its results into its own input folder', async () => {
    const inputs = tempDirSync();
    writeFileSync(join(inputs, 'a.png'), readFileSync(join(PARITY, 'reconstruction_uniform20', 'inputs', readdirSync(join(PARITY, 'reconstruction_uniform20', 'inputs'))[0]!)));
    const result = await runCli(['sample', '-c', join(PARITY, 'reconstruction_uniform20', 'config.yaml'), '--weights', TINY_MODEL,
      '--mode', 'reconstruction', '--input_dir', inputs, '--n_samples', '1', '--save_dir', inputs, ...FAST]);
    expectUserError(result, '--input_dir and --save_dir are the same folder');
    expect(readdirSync(inputs)).toEqual(['a.png']);
  });

  test('a run that failed before its first image does not hold its folder', async () => {
    const dir = tempDirSync();
    const noise = join(PARITY, 'sample_uniform10', 'noise.npy');
    const config = ['-c', join(PARITY, 'sample_uniform10', 'config.yaml'), '--weights', TINY_MODEL];
    expectUserError(await runCli(['sample', ...config, '--noise', noise, '--n_samples', '5', '--save_dir', dir, ...FAST]), 'this run needs at least 5');
    const fixed = await runCli(['sample', ...config, '--n_samples', '2', '--save_dir', dir, ...FAST]);
    expect(fixed.exitCode).toBe(0);
    expect(pngs(dir).size).toBe(2);
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

  test('an interrupted run keeps whole images only, exits 130, and a rerun completes it', async () => {
    const dir = tempDirSync();
    const args = ['sample', '--n_samples', '64', '--micro_batch', '4', '--skip_steps', '20', '--save_dir', dir, '--quiet'];
    const { ROOT } = await import('./support/paths.ts');
    const child = Bun.spawn(['bun', join(ROOT, 'cli.ts'), ...args], { cwd: ROOT, stdout: 'pipe', stderr: 'pipe' });
    const deadline = Date.now() + 60_000;
    while (!existsSync(join(dir, '0.png')) && Date.now() < deadline) await Bun.sleep(20);
    child.kill('SIGINT');
    const code = await child.exited;
    expect(code).toBe(130);
    expect(await new Response(child.stderr).text()).toContain('rerun the same command to continue');
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

describe('bad input', () => {
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
    expectUserError(await runCli(['sample', '--skip_type', 'quadd', ...FAST]), 'unknown schedule "quadd". Must be one of [uniform, quad, linspace, trailing]');
    expectUserError(await runCli(['sample', '--mode', 'interpolation', ...FAST]), 'unknown mode "interpolation". Must be one of [sample, interpolate, reconstruction]');
    expectUserError(await runCli(['sampel']), 'unknown command "sampel"');
  });

  test('out-of-range values name the flag', async () => {
    expectUserError(await runCli(['sample', '--ddim_eta', '2']), '--ddim_eta: expected eta in [0, 1], got 2');
    expectUserError(await runCli(['sample', '--n_samples', 'many']), '--n_samples: expected number, got "many"');
    expectUserError(await runCli(['sample', '--skip_steps', '5000']), 'at most total_steps (1000)');
  });

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

  test('flag typos: an empty value, a synonym, a misspelling, a top-level override typo', async () => {
    expectUserError(await runCli(['sample', '--skip_steps=']), '--skip_steps: expected a value after "=", got nothing');
    expectUserError(await runCli(['sample', '--eta', '0.5']), 'unknown flag --eta (did you mean --ddim_eta?)');
    expectUserError(await runCli(['sample', '--nsamples', '3']), 'unknown flag --nsamples (did you mean --n_samples?)');
    expectUserError(await runCli(['sample', 'difusion.params.skip_steps=3']), 'unknown top-level key "difusion"', 'did you mean "diffusion"');
    expectUserError(await runCli(['sample', 'skip_steps=3']), 'did you mean diffusion.params.skip_steps=… or --skip_steps?');
    expectUserError(await runCli(['sample', 'diffusion.param.skip_steps=3']), 'diffusion.param: unknown key; valid keys: target, params');
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
    expectUserError(await runCli(['sample', '--provider', 'tpu', ...FAST]), '--provider: expected one of cpu|cuda, got "tpu"');
  });
});

describe('the command line', () => {
  test('--help lists the reference flags', async () => {
    const result = await runCli(['--help']);
    expect(result.exitCode).toBe(0);
    for (const flag of ['--config', '--weights', '--n_samples', '--save_dir', '--seed', '--ddim_eta', '--skip_type', '--skip_steps', '--micro_batch', '--mode', '--n_interpolate', '--input_dir', '--noise', '--save_npy', '--load_ema', '--quiet']) {
      expect(result.stdout).toContain(flag);
    }
  });

  test('kebab-case aliases and --flag=value forms work, and --load_ema is accepted with a note', async () => {
    const a = tempDirSync();
    const b = tempDirSync();
    const snake = await runCli(['sample', '--n_samples', '2', '--skip_steps', '3', '--save_dir', a, '--load_ema', 'true']);
    const kebab = await runCli(['sample', '--n-samples=2', '--skip-steps=3', `--save-dir=${b}`, '--quiet']);
    expect(snake.exitCode).toBe(0);
    expect(kebab.exitCode).toBe(0);
    expect(snake.stderr).toContain('--load_ema: an ONNX file holds one set of weights');
    for (const [name, bytes] of pngs(a)) expect(pngs(b).get(name)!.equals(bytes)).toBe(true);
  });

  test('on a terminal, stderr shows step, batch, images/s and ETA', async () => {
    // util-linux `script` gives the CLI a pseudo-terminal, as a user's shell would.
    const { ROOT } = await import('./support/paths.ts');
    const command = `bun ${join(ROOT, 'cli.ts')} sample --n_samples 4 --micro_batch 2 --skip_steps 10 --save_dir ${tempDirSync()}`;
    const child = Bun.spawn(['script', '-qfec', command, '/dev/null'], { cwd: ROOT, stdout: 'pipe', stderr: 'pipe' });
    const [out, code] = await Promise.all([new Response(child.stdout).text(), child.exited]);
    expect(code).toBe(0);
    expect(out).toMatch(/\r\[#*\.*\] +\d+% sample step \d+\/10 · batch [12]\/2 · [\d.]+ img\/s · ETA \d+:\d\d/);
    expect(out).toContain('wrote 4 sample result(s)');
  });

  test('without a terminal, stderr gets no progress bar', async () => {
    const result = await runCli(['sample', '--n_samples', '2', '--skip_steps', '3', '--save_dir', tempDirSync()]);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).not.toContain('\r');
    expect(result.stderr).toContain('wrote 2 sample result(s)');
  });
});
