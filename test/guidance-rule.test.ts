/**
 * A guidance rule from a plugin, through the real CLI on the conditional stand-in: the
 * example package's `guidance-window` (examples/ddim-plugin-example/guidance-window.ts) with
 * the whole chain as its window is the built-in rule byte for byte; with part of it, the steps
 * outside are those of s = 1 and the ones inside are guided.
 */
import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseNpy } from '../core/io/npy.ts';
import { runCli } from './support/cli.ts';
import { ROOT, tempDirSync } from './support/fixtures.ts';

const MODEL = join(ROOT, 'test/fixtures/conditional/standin.onnx');
const PLUGIN = join(ROOT, 'examples/ddim-plugin-example/guidance-window.ts');
const SIZE = 3 * 16 * 16;
const STEPS = 10;
const BASE = ['--weights', MODEL, '--skip_steps', String(STEPS), '--guidance_scale', '3', '--save_npy', '--quiet'];
const WINDOW = ['--plugin', PLUGIN, '--guidance', 'guidance-window'];

async function sample(args: string[]) {
  const out = tempDirSync();
  const result = await runCli(['sample', ...BASE, ...args, '--save_dir', out]);
  expect(result.stderr).toBe('');
  expect(result.exitCode).toBe(0);
  const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
  return { out, samples: parseNpy(readFileSync(join(out, 'samples.npy'))).data, timesteps: run.timesteps as number[] };
}

const same = (a: Float32Array, b: Float32Array) => a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

describe('a guidance rule plugin (guidance-window)', () => {
  test('with the whole chain as its window it gives the built-in rule\'s bytes (η = 0.5, every class)', async () => {
    const each = ['--n_samples_each_class', '1', '--ddim_eta', '0.5'];
    const [window, builtin, named] = await Promise.all([sample([...each, ...WINDOW]), sample(each), sample([...each, '--guidance', 'cfg'])]);
    expect(window.samples.length).toBe(10 * SIZE);
    expect(same(window.samples, builtin.samples)).toBe(true);
    expect(same(named.samples, builtin.samples)).toBe(true);
    for (let c = 0; c < 10; c++) {
      const png = (dir: string) => readFileSync(join(dir, `class${c}`, '0.png'));
      expect(png(window.out).equals(png(builtin.out))).toBe(true);
    }
  }, 120_000);

  test('an empty window is s = 1: the conditional output alone at every step', async () => {
    const args = ['--class', 'cat', '--n_samples', '3'];
    const [empty, conditional, guided] = await Promise.all([
      sample([...args, ...WINDOW, 'sampler.options.guidance-window.to=0']),
      sample([...args, '--guidance_scale', '1']),
      sample(args),
    ]);
    expect(same(empty.samples, conditional.samples)).toBe(true);
    expect(same(empty.samples, guided.samples)).toBe(false);
  }, 120_000);

  test('a window over the low half of the chain: the steps above it are s = 1\'s, the ones in it are guided', async () => {
    // trajectory keeps the x0 prediction of every step: frame k comes from the step at timesteps[STEPS − 1 − k].
    const args = ['--mode', 'trajectory', '--class', '2', '--n_samples', '2'];
    const [window, conditional, guided] = await Promise.all([
      sample([...args, ...WINDOW, 'sampler.options.guidance-window.to=0.5']),
      sample([...args, '--guidance_scale', '1']),
      sample(args),
    ]);
    expect(window.timesteps.length).toBe(STEPS);
    const frame = (data: Float32Array, item: number, k: number) => data.subarray((item * STEPS + k) * SIZE, (item * STEPS + k + 1) * SIZE);
    let above = 0;
    let inside = 0;
    for (let k = 0; k < STEPS; k++) {
      const t = window.timesteps[STEPS - 1 - k]!;
      for (let item = 0; item < 2; item++) {
        const ours = frame(window.samples, item, k);
        if (t >= 500) {
          above++;
          expect(same(ours, frame(conditional.samples, item, k))).toBe(true);
        } else {
          inside++;
          expect(same(ours, frame(conditional.samples, item, k))).toBe(false);
          expect(same(ours, frame(guided.samples, item, k))).toBe(false);
        }
      }
    }
    expect([above, inside]).toEqual([10, 10]);
  }, 120_000);

  test('bad options and unknown rules are one line naming the key, exit code 2', async () => {
    const cases: [string[], string][] = [
      [['sampler.options.guidance-window.from=2'], 'error: sampler.options.guidance-window.from: from must be in [0, 1], got 2'],
      [['sampler.options.guidance-window.from=0.6', 'sampler.options.guidance-window.to=0.2'], 'error: sampler.options.guidance-window.to: to must be >= from (0.6), got 0.2'],
      [['sampler.options.guidance-window.form=0.2'], 'error: sampler.options.guidance-window.form: unknown key; valid keys: from, to (did you mean "from"?)'],
    ];
    for (const [extra, line] of cases) {
      const result = await runCli(['sample', ...BASE, '--class', '1', '--n_samples', '1', ...WINDOW, ...extra, '--save_dir', tempDirSync()]);
      expect([result.exitCode, result.stderr]).toEqual([2, `${line}\n`]);
    }
    const unknown = await runCli(['sample', ...BASE, '--class', '1', '--n_samples', '1', '--guidance', 'guidance-windo', '--plugin', PLUGIN, '--save_dir', tempDirSync()]);
    expect([unknown.exitCode, unknown.stderr]).toEqual([2, 'error: sampler.guidance: unknown guidance "guidance-windo". Must be one of [cfg, guidance-window] (did you mean "guidance-window"?)\n']);
  }, 120_000);

  test('a rule no step asks is a warning: guidance_scale 1, or a model without classes', async () => {
    const conditional = await runCli(['sample', '--weights', MODEL, '--class', '1', '--n_samples', '1', '--skip_steps', '3', '--quiet', ...WINDOW, '--save_dir', tempDirSync()]);
    expect([conditional.exitCode, conditional.stderr]).toEqual([0, 'warning: guidance rule "guidance-window" (sampler.guidance) is not used: guidance_scale 1 runs each item with its class alone\n']);
    const unconditional = await runCli(['sample', '--n_samples', '1', '--skip_steps', '3', '--quiet', ...WINDOW, '--save_dir', tempDirSync()]);
    expect([unconditional.exitCode, unconditional.stderr]).toEqual([0, 'warning: guidance rule "guidance-window" (sampler.guidance) is not used: the model is not class-conditional\n']);
  }, 120_000);

  test('`ddim plugins` lists the built-in rule and the plugin\'s with its options schema', async () => {
    const result = await runCli(['plugins', '--plugin', PLUGIN]);
    expect(result.exitCode).toBe(0);
    const listed = JSON.parse(result.stdout) as { guidance: { name: string; options: unknown }[] };
    expect(listed.guidance.map((rule) => rule.name)).toEqual(['cfg', 'guidance-window']);
    expect(listed.guidance[1]!.options).toMatchObject({ properties: { from: { minimum: 0, maximum: 1, default: 0 }, to: { default: 1 } } });
  }, 60_000);
});
