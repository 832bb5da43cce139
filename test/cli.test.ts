/** The sample command end to end, as a user runs it: real CLI, real models, real files. */
import { describe, expect, test } from 'bun:test';
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { parseNpy } from '../index.ts';
import { pngs, runCli } from './support/cli.ts';
import { PARITY, ROOT, TINY_MODEL, tempDirSync } from './support/fixtures.ts';

const FAST = ['--skip_steps', '4', '--quiet'];

/** The first channel of a PNG (grayscale results come back from sharp expanded to RGB). */
async function grayPixels(path: string): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(path).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
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
