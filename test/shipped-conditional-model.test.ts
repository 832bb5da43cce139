/**
 * The shipped class-conditional model (models/ddpm_fashion_mnist_cond.onnx, trained by
 * tools/train_ddpm.py on Fashion-MNIST with p_uncond 0.2): its card names the dataset's ten
 * classes, and the images it gives are of the class asked for — as the shipped classifier
 * (models/fashion_mnist_classifier.onnx, test accuracy 0.94) judges them through `ddim eval`.
 * Sampling is seeded, so each figure below is fixed for this model; the bounds say what a
 * working model must reach (an unconditional model scores about 0.1), not what it did.
 */
import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from './support/cli.ts';
import { ROOT, tempDirSync } from './support/fixtures.ts';
import { startServer } from './support/server.ts';

const MODEL = join(ROOT, 'models/ddpm_fashion_mnist_cond.onnx');
const CONFIG = join(ROOT, 'models/ddpm_fashion_mnist_cond.yaml');
const FASHION_MNIST = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

interface ClassAccuracy {
  accuracy: number;
  labelled: number;
  perClass: { class: number; name: string | null; images: number; accuracy: number | null }[];
}

/** `ddim sample` with `args`, then `ddim eval --json` of what it wrote: the class accuracy. */
async function sampleAndJudge(args: string[]): Promise<{ dir: string; accuracy: ClassAccuracy }> {
  const dir = tempDirSync('ddim-cond-');
  const sample = await runCli(['sample', ...args, '--skip_steps', '20', '--quiet', '--save_dir', dir]);
  expect(sample.stderr).toBe('');
  expect(sample.exitCode).toBe(0);
  const evaluated = await runCli(['eval', '--samples', dir, '--splits', '4', '--json', '--quiet']);
  expect(evaluated.exitCode).toBe(0);
  return { dir, accuracy: (JSON.parse(evaluated.stdout) as { classAccuracy: ClassAccuracy }).classAccuracy };
}

describe('the shipped class-conditional Fashion-MNIST model', () => {
  test('--class Sneaker --guidance_scale 3 gives sneakers; its run.json names the card\'s classes', async () => {
    const { dir, accuracy } = await sampleAndJudge(['--weights', MODEL, '--class', 'Sneaker', '--guidance_scale', '3', '--n_samples', '8']);
    expect(accuracy.labelled).toBe(8);
    expect(accuracy.perClass[7]).toMatchObject({ name: 'Sneaker', images: 8 });
    expect(accuracy.accuracy).toBeGreaterThanOrEqual(0.75);
    const run = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as { labels: { names: string[]; runs: number[][] } };
    expect(run.labels).toEqual({ names: FASHION_MNIST, runs: [[7, 8]] });
  }, 120_000);

  test('its config samples every class (4 each, guidance scale 3): most images are of their class, and guidance is what makes them so', async () => {
    const guided = await sampleAndJudge(['-c', CONFIG, '--n_samples_each_class', '4']);
    expect(guided.accuracy.labelled).toBe(40);
    expect(guided.accuracy.accuracy).toBeGreaterThanOrEqual(0.75);
    const text = await runCli(['eval', '--samples', guided.dir, '--splits', '4', '--quiet']);
    expect(text.stdout).toMatch(/^per class {9}0 T-shirt\/top \d\.\d{4}, 1 Trouser \d\.\d{4}, .*, 9 Ankle boot \d\.\d{4}$/m);
    // Scale 0 drops the class (the network's unconditional output): about one in ten by chance.
    const unguided = await sampleAndJudge(['-c', CONFIG, '--n_samples_each_class', '4', '--guidance_scale', '0']);
    expect(unguided.accuracy.accuracy).toBeLessThan(0.4);
    expect(guided.accuracy.accuracy - unguided.accuracy.accuracy).toBeGreaterThanOrEqual(0.4);
  }, 180_000);

  test('served with its config: a request\'s class replaces the config\'s every-class default, and a request too big by that default says so', async () => {
    const server = await startServer({ config: CONFIG });
    try {
      const health = (await (await fetch(`${server.url}/v1/health`)).json()) as { model: { classes: { names: string[] } } };
      expect(health.model.classes.names).toEqual(FASHION_MNIST);
      const sneakers = await server.post('/v1/sample', { class: 'Sneaker', n_samples: 2, skip_steps: 2 });
      expect(sneakers.status).toBe(200);
      expect(((await sneakers.json()) as { count: number }).count).toBe(2);
      // The config's 8 of each of 10 classes, guided: 160 rows, over the 64 a request may have.
      const tooBig = await server.post('/v1/sample', { skip_steps: 2 });
      expect(tooBig.status).toBe(413);
      const { error } = (await tooBig.json()) as { error: { field: string; message: string } };
      expect(error.field).toBe('n_samples_each_class');
      expect(error.message).toContain("the server's config sets sampler.n_samples_each_class 8; give class, classes or a smaller n_samples_each_class");
    } finally {
      await server.stop();
    }
  }, 120_000);
});
