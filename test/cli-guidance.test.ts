/**
 * The original's flags and layout through the real CLI: --n_samples_each_class K writes
 * class{c}/{idx}.png and samples.npy in item order, --noise rows follow items, `ddim verify`
 * reads the layout, the original's classifier_free_cifar10.yaml runs, and a conditional
 * model used wrongly is one line with exit code 2.
 */
import { describe, expect, test } from 'bun:test';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeNpy, parseNpy } from '../core/io/npy.ts';
import { decodePng } from '../core/io/png.ts';
import { runCli } from './support/cli.ts';
import { DEFAULT_MODEL, ROOT, SEED_CONFIGS, tempDirSync } from './support/fixtures.ts';

const MODEL = join(ROOT, 'test/fixtures/conditional/standin.onnx');
const GUIDANCE_PLUGIN = join(ROOT, 'examples/ddim-plugin-example/guidance-window.ts');
const SIZE = 3 * 16 * 16;
const QUICK = ['--skip_steps', '3', '--quiet'];

async function sample(args: string[]): Promise<string> {
  const out = tempDirSync();
  const result = await runCli(['sample', '--weights', MODEL, ...QUICK, ...args, '--save_dir', out]);
  expect(result.stderr).toBe('');
  expect(result.exitCode).toBe(0);
  return out;
}

describe('ddim sample with a conditional model', () => {
  test('--n_samples_each_class K writes class{c}/{idx}.png and samples.npy [10·K,C,H,W] in item order', async () => {
    const out = await sample(['--n_samples_each_class', '2', '--guidance_scale', '3', '--save_npy']);
    expect(readdirSync(out).filter((name) => name.startsWith('class')).sort()).toEqual(Array.from({ length: 10 }, (_, c) => `class${c}`).sort());
    const npy = parseNpy(readFileSync(join(out, 'samples.npy')));
    expect(npy.shape).toEqual([20, 3, 16, 16]);
    // Item 7 is class 3's second image: its PNG shows samples.npy row 7.
    const png = decodePng(readFileSync(join(out, 'class3', '1.png')));
    const row = npy.data.subarray(7 * SIZE, 8 * SIZE);
    const plane = 16 * 16;
    for (let p = 0; p < plane; p += 37) {
      for (let c = 0; c < 3; c++) expect(png.data[p * 3 + c]).toBe(Math.round(((row[c * plane + p]! + 1) / 2) * 255));
    }
    const verify = await runCli(['verify', out]);
    expect(verify.exitCode).toBe(0);
    expect(readFileSync(join(out, 'SHA256SUMS'), 'utf8')).toContain('  class9/1.png');
  });

  test('--noise rows follow items: the class-major run\'s items 2 and 3 are --class 1\'s items from those rows', async () => {
    const noise = new Float32Array(20 * SIZE).map((_, i) => Math.sin(i * 0.37) * 1.3);
    const dir = tempDirSync();
    writeFileSync(join(dir, 'all.npy'), encodeNpy([20, 3, 16, 16], noise));
    writeFileSync(join(dir, 'two.npy'), encodeNpy([2, 3, 16, 16], noise.slice(2 * SIZE, 4 * SIZE)));
    const all = await sample(['--n_samples_each_class', '2', '--guidance_scale', '3', '--noise', join(dir, 'all.npy'), '--save_npy']);
    const one = await sample(['--class', '1', '--n_samples', '2', '--guidance_scale', '3', '--noise', join(dir, 'two.npy'), '--save_npy']);
    expect(readFileSync(join(all, 'class1', '0.png')).equals(readFileSync(join(one, '0.png')))).toBe(true);
    expect(readFileSync(join(all, 'class1', '1.png')).equals(readFileSync(join(one, '1.png')))).toBe(true);
  });

  test('the original\'s classifier_free_cifar10.yaml loads unchanged and runs (its cosine schedule over the card\'s)', async () => {
    const out = tempDirSync();
    const config = join(SEED_CONFIGS, 'classifier_free_cifar10.yaml');
    const result = await runCli(['sample', '-c', config, '--weights', MODEL, 'data.img_size=16', '--class', 'cat', '--guidance_scale', '3', '--n_samples', '2', ...QUICK, '--save_dir', out]);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    expect(run.config.diffusion.params.beta_schedule).toBe('cosine');
    expect(run.config.data.num_classes).toBe(10);
    expect(existsSync(join(out, '1.png'))).toBe(true);
  });

  test('a rerun into the same save_dir continues only the same run: another class, guidance scale, guidance rule, null class or seed is refused, class-major too', async () => {
    const refused = async (out: string, args: string[]) => {
      const result = await runCli(['sample', '--weights', MODEL, ...QUICK, ...args, '--save_dir', out]);
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toBe(`error: save_dir ${out} holds results of another run (other settings, model or noise file; see its run.json); choose another --save_dir or empty it\n`);
    };
    const byClass = await sample(['--class', '3', '--n_samples', '2']);
    const before = readFileSync(join(byClass, '0.png'));
    await refused(byClass, ['--class', '5', '--n_samples', '2']);
    await refused(byClass, ['--class', '3', '--guidance_scale', '3', '--n_samples', '2']);
    expect(readFileSync(join(byClass, '0.png')).equals(before)).toBe(true);
    // The unconditional rows' label and the rule combining the outputs decide the pixels too.
    const guided = await sample(['--class', '3', '--n_samples', '2', '--guidance_scale', '3']);
    await refused(guided, ['--class', '3', '--n_samples', '2', '--guidance_scale', '3', 'model.null_class=0']);
    await refused(guided, ['--class', '3', '--n_samples', '2', '--guidance_scale', '3', '--plugin', GUIDANCE_PLUGIN, '--guidance', 'guidance-window']);
    // Class-major results lie in class folders only: they count as the folder's results.
    const classMajor = await sample(['--n_samples_each_class', '1', '--seed', '1']);
    await refused(classMajor, ['--n_samples_each_class', '1', '--seed', '2']);
    await refused(classMajor, ['--class', '0', '--n_samples', '10', '--seed', '1']);
    const again = await runCli(['sample', '--weights', MODEL, ...QUICK, '--n_samples_each_class', '1', '--seed', '1', '--save_dir', classMajor]);
    expect(again.exitCode).toBe(0);
    expect(JSON.parse(readFileSync(join(classMajor, 'run.json'), 'utf8')).seed).toBe(1);
  });

  test('a flag or an extending file choosing the classes replaces the file\'s choice (n_samples_each_class), two flags still collide', async () => {
    const dir = tempDirSync();
    const config = join(dir, 'per-class.yaml');
    const seed = join(SEED_CONFIGS, 'classifier_free_cifar10.yaml');
    writeFileSync(config, `extends: ${seed}\ndata:\n  img_size: 16\nsampler:\n  n_samples_each_class: 2\n  guidance_scale: 3\n`);
    const perClass = await sample(['-c', config]);
    expect(readdirSync(perClass).filter((name) => name.startsWith('class'))).toHaveLength(10);
    const one = await sample(['-c', config, '--class', 'cat', '--n_samples', '2']);
    expect(readdirSync(one).filter((name) => name.endsWith('.png')).sort()).toEqual(['0.png', '1.png']);
    expect(JSON.parse(readFileSync(join(one, 'run.json'), 'utf8')).config.sampler).toMatchObject({ class: 'cat', n_samples_each_class: null });
    // A file extending it and choosing a class replaces its choice the same way.
    const extending = join(dir, 'cats.yaml');
    writeFileSync(extending, `extends: ./per-class.yaml\nsampler:\n  class: cat\n  n_samples: 2\n`);
    const cats = await sample(['-c', extending]);
    expect(readdirSync(cats).filter((name) => name.endsWith('.png')).sort()).toEqual(['0.png', '1.png']);
    expect(readFileSync(join(cats, '0.png')).equals(readFileSync(join(one, '0.png')))).toBe(true);
    const both = await runCli(['sample', '-c', config, '--weights', MODEL, '--class', 'cat', '--n_samples_each_class', '1', ...QUICK, '--save_dir', tempDirSync()]);
    expect(both.exitCode).toBe(2);
    expect(both.stderr.trim()).toBe('error: --class and --n_samples_each_class: give one of them (one class, each item\'s class, or every class in turn)');
  });

  test('a conditional model without a class, a class out of range, or a class for an (x, t) model: one line, exit 2', async () => {
    const cases: [string[], string][] = [
      [['--weights', MODEL], 'is class-conditional: give --class C or --n_samples_each_class K, with C in 0..9 (airplane, automobile, bird, cat,'],
      [['--weights', MODEL, '--class', '10'], '--class 10 (sampler.class): expected a class 0..9 (airplane,'],
      [['--weights', MODEL, '--class', 'kat'], '(did you mean "cat"?)'],
      [['--weights', DEFAULT_MODEL, '--class', '3'], 'is not class-conditional (its inputs are x and t); leave it out'],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(['sample', ...args, ...QUICK, '--save_dir', tempDirSync()]);
      expect(result.exitCode).toBe(2);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toContain(message);
    }
  });
});
