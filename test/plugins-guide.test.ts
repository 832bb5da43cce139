/** PLUGINS.md's examples, taken from the file as they stand and run through the real CLI. */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseNpy } from '../core/io/npy.ts';
import { pngs, runCli } from './support/cli.ts';
import { startServer } from './support/server.ts';
import { ROOT } from './support/fixtures.ts';
import type { GuidancePlugin } from '../core/plugin-api.ts';

const STANDIN = join(ROOT, 'test/fixtures/conditional/standin.onnx');

/** Code blocks whose info string names a file: ```ts strided.ts */
function namedBlocks(markdown: string): Map<string, string> {
  const blocks = new Map<string, string>();
  for (const match of markdown.matchAll(/^```\w+ ([\w.-]+)\n([\s\S]*?)^```$/gm)) blocks.set(match[1]!, match[2]!);
  return blocks;
}

// Two levels below the repository, as the guide's config expects; runs/ is not tracked.
const DIR = join(ROOT, 'runs', `plugins-guide-${process.pid}`);
let blocks: Map<string, string>;
beforeAll(() => {
  blocks = namedBlocks(readFileSync(join(ROOT, 'PLUGINS.md'), 'utf8'));
  mkdirSync(DIR, { recursive: true });
  for (const [name, text] of blocks) writeFileSync(join(DIR, name), text);
});
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

describe('PLUGINS.md', () => {
  test('its schedule and mode run as written, deterministic across micro-batches', async () => {
    expect([...blocks.keys()].sort()).toEqual(['guide.yaml', 'halfway-error.json', 'halfway.ts', 'rescale.ts', 'strided.ts']);

    const run = async (out: string, extra: string[] = []) => {
      const result = await runCli(['sample', '-c', join(DIR, 'guide.yaml'), '--save_dir', join(DIR, out), '--save_npy', '--quiet', ...extra]);
      expect(result.stderr).toBe('');
      expect(result.exitCode).toBe(0);
      return { images: pngs(join(DIR, out)), run: JSON.parse(readFileSync(join(DIR, out, 'run.json'), 'utf8')) };
    };
    const whole = await run('whole');
    const split = await run('split', ['--micro_batch', '3']);
    expect(whole.run.mode).toBe('halfway');
    expect(whole.run.timesteps).toEqual(Array.from({ length: 20 }, (_, i) => 9 + 50 * i));
    expect(whole.images.size).toBe(4);
    for (const [name, bytes] of whole.images) expect(split.images.get(name)!.equals(bytes)).toBe(true);

    // Its finished samples are the sample mode's, as the guide says (same noise domain).
    await run('plain', ['--mode', 'sample']);
    const samples = (dir: string) => parseNpy(readFileSync(join(DIR, dir, 'samples.npy'))).data;
    expect(samples('whole')).toEqual(samples('plain'));
  });

  test("its options are checked: stride 0 is refused in one line before the schedule runs", async () => {
    const result = await runCli(['sample', '-c', join(DIR, 'guide.yaml'), 'sampler.options.strided.stride=0', '--save_dir', join(DIR, 'bad'), '--quiet']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringContaining('sampler.options.strided.stride')]);
  });

  test("its mode's UserError comes back over HTTP as the guide shows, naming the request field", async () => {
    const server = await startServer({ config: join(DIR, 'guide.yaml') });
    try {
      const response = await server.post('/v1/modes/halfway', { options: { halfway: { at: 0.01 } } });
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual(JSON.parse(blocks.get('halfway-error.json')!));
    } finally {
      await server.stop();
    }
    const cli = await runCli(['sample', '-c', join(DIR, 'guide.yaml'), 'sampler.options.halfway.at=0.01', '--save_dir', join(DIR, 'bad-at'), '--quiet']);
    expect(cli.exitCode).toBe(2);
    expect(cli.stderr).toBe('error: sampler.options.halfway.at: 0.01 of 20 steps is no step; give a larger value\n');
  });

  test('its guidance rule runs on a conditional model: phi = 0 is the built-in rule byte for byte, phi > 0 rescales', async () => {
    const guided = ['--weights', STANDIN, '--class', 'cat', '--n_samples', '4', '--guidance_scale', '5', '--skip_steps', '10', '--save_npy', '--quiet'];
    const run = async (out: string, extra: string[]) => {
      const result = await runCli(['sample', ...guided, ...extra, '--save_dir', join(DIR, out)]);
      expect([result.exitCode, result.stderr]).toEqual([0, '']);
      return parseNpy(readFileSync(join(DIR, out, 'samples.npy'))).data;
    };
    const rule = ['--plugin', join(DIR, 'rescale.ts'), '--guidance', 'rescale'];
    const [plain, off, rescaled] = await Promise.all([run('cfg', []), run('phi0', [...rule, 'sampler.options.rescale.phi=0']), run('phi07', [...rule, 'sampler.options.rescale.phi=0.7'])]);
    expect(off).toEqual(plain);
    expect(rescaled).not.toEqual(plain);

    const bad = await runCli(['sample', ...guided, ...rule, 'sampler.options.rescale.phi=2', '--save_dir', join(DIR, 'bad-phi')]);
    expect([bad.exitCode, bad.stderr]).toEqual([2, 'error: sampler.options.rescale.phi: phi must be in [0, 1], got 2\n']);
  }, 120_000);

  test("its guidance rule's ε has the standard deviation of ε_c at phi = 1, and leaves the call's values only", async () => {
    const { default: rescale } = (await import(join(DIR, 'rescale.ts'))) as { default: GuidancePlugin<{ phi: number }> };
    const size = 50;
    const values = 3 * size; // two items in the call, buffers a third longer
    const step = {
      options: { phi: 1 }, scale: 4, direction: 'sample' as const, index: 0, t: 500, timesteps: [500], totalSteps: 1000, count: 2, size,
      x: new Float32Array(values),
      epsCond: Float32Array.from({ length: values }, (_, j) => Math.sin(j * 0.7) * (j < size ? 1 : 3)),
      epsUncond: Float32Array.from({ length: values }, (_, j) => Math.cos(j * 1.3)),
      out: new Float32Array(values).fill(7),
    };
    rescale.combine(step);
    const deviation = (a: Float32Array) => {
      const mean = a.reduce((sum, value) => sum + value, 0) / a.length;
      return Math.sqrt(a.reduce((sum, value) => sum + (value - mean) ** 2, 0) / a.length);
    };
    for (const item of [0, 1]) {
      const range = [item * size, (item + 1) * size] as const;
      const ratio = deviation(step.out.subarray(...range)) / deviation(step.epsCond.subarray(...range));
      expect(Math.abs(ratio - 1)).toBeLessThan(1e-5);
    }
    expect([...step.out.subarray(2 * size)].every((value) => value === 7)).toBe(true);
  });
});

