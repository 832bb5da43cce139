/**
 * `ddim eval`'s class accuracy through the real CLI: the shipped classifier on real
 * Fashion-MNIST test images filed into class{c}/ folders (its accuracy worked out again through
 * onnxruntime directly), labels recorded by real `ddim sample` runs of the stand-in conditional
 * model (shards, per-item classes, class-major), and one-line refusals.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { readIdx } from '../eval/idx-file.ts';
import { runCli } from './support/cli.ts';
import { HAS_FASHION_MNIST, writeFashionMnistPngs } from './support/fashion-mnist.ts';
import { ROOT, tempDirSync } from './support/fixtures.ts';

const CLASSIFIER = join(ROOT, 'models/fashion_mnist_classifier.onnx');
const STANDIN = join(ROOT, 'test/fixtures/conditional/standin.onnx');
const TINY = join(ROOT, 'test/eval-fixtures/tiny_features_uint8.onnx');
const FASHION_MNIST = '/usr/share/datasets/fashion-mnist';
const CIFAR = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
/** The classes asked for, item by item (names and indices, as --classes takes them). */
const ASKED = ['cat', 'dog', '1', '1', 'ship', '9', '0', '0', '0', '3', '3', 'cat'];
const ASKED_INDEX = ASKED.map((c) => (/^\d+$/.test(c) ? Number(c) : CIFAR.indexOf(c)));

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
function temp(): string {
  const dir = tempDirSync('ddim-eval-classes-');
  dirs.push(dir);
  return dir;
}

async function evalJson(args: string[]) {
  const result = await runCli(['eval', ...args, '--json', '--quiet']);
  expect(result.stderr.split('\n').filter((line) => !line.startsWith('warning:') && line !== '')).toEqual([]);
  expect(result.exitCode).toBe(0);
  return JSON.parse(result.stdout);
}

async function standinRun(args: string[], saveDir: string): Promise<void> {
  const made = await runCli(['sample', '--weights', STANDIN, '--skip_steps', '3', '--guidance_scale', '3', '--quiet', ...args, '--save_dir', saveDir]);
  expect(made.stderr).toBe('');
  expect(made.exitCode).toBe(0);
}

/** The one line and exit code 2 of a refused eval. */
async function refused(args: string[]): Promise<string> {
  const result = await runCli(['eval', ...args, '--quiet']);
  expect(result.exitCode).toBe(2);
  expect(result.stdout).toBe('');
  const lines = result.stderr.trim().split('\n').filter((line) => !line.startsWith('warning:'));
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

describe('ddim eval: class accuracy', () => {
  test.skipIf(!HAS_FASHION_MNIST)(
    'real test images in class{c}/ folders: the accuracy the classifier has on them, and a score that does not collapse (needs dataset-fashion-mnist)',
    async () => {
      const COUNT = 200;
      const labels = readIdx(join(FASHION_MNIST, 't10k-labels-idx1-ubyte.gz')).data.subarray(0, COUNT);
      const images = readIdx(join(FASHION_MNIST, 't10k-images-idx3-ubyte.gz')).data;
      const dir = temp();
      for (let c = 0; c < 10; c++) mkdirSync(join(dir, `class${c}`));
      await writeFashionMnistPngs(dir, COUNT, 0, (i) => `class${labels[i]}/${String(i).padStart(3, '0')}.png`);

      // The classifier on the same pixels, directly: 28×28 padded with 2 black pixels, v/127.5 − 1.
      const input = new Float32Array(COUNT * 1024).fill(-1);
      for (let i = 0; i < COUNT; i++) {
        for (let r = 0; r < 28; r++) for (let c = 0; c < 28; c++) input[i * 1024 + (r + 2) * 32 + c + 2] = images[i * 784 + r * 28 + c]! / 127.5 - 1;
      }
      const session = await ort.InferenceSession.create(CLASSIFIER);
      const logits = (await session.run({ x: new ort.Tensor('float32', input, [COUNT, 1, 32, 32]) })).logits!.data as Float32Array;
      await session.release();
      const perClass = Array.from({ length: 10 }, () => ({ images: 0, correct: 0 }));
      for (let i = 0; i < COUNT; i++) {
        const row = Array.from(logits.subarray(i * 10, (i + 1) * 10));
        perClass[labels[i]!]!.images++;
        if (row.indexOf(Math.max(...row)) === labels[i]) perClass[labels[i]!]!.correct++;
      }
      const correct = perClass.reduce((sum, c) => sum + c.correct, 0);

      const report = await evalJson(['--samples', dir]);
      expect(report.classAccuracy).toMatchObject({ accuracy: correct / COUNT, correct, labelled: COUNT, images: COUNT, classes: 10 });
      expect(report.classAccuracy.perClass.map((c: { images: number; correct: number }) => ({ images: c.images, correct: c.correct }))).toEqual(perClass);
      expect(report.classAccuracy.perClass.every((c: { name: null }) => c.name === null)).toBe(true);
      // Measured: accuracy 0.9450, score 6.92; the same logits cut into splits in file order (a class or two
      // each) score 1.92.
      expect(correct / COUNT).toBeGreaterThan(0.85);
      expect(report.inceptionScore.mean).toBeGreaterThan(5);

      const text = await runCli(['eval', '--samples', dir, '--quiet']);
      expect(text.stdout).toContain(`\nclass accuracy    ${(correct / COUNT).toFixed(4)} (${COUNT} labelled images, 10 classes)\n`);
      expect(text.stdout).toMatch(/^per class         0 \d\.\d{4}, 1 \d\.\d{4}, .*, 9 \d\.\d{4}$/m);
    },
    120_000,
  );

  test('a sharded --classes run records its labels: eval reads them as the classes asked for, as class{c}/ folders of the same images give', async () => {
    const run = temp();
    const classes = ASKED.flatMap((c) => ['--classes', c]);
    await standinRun([...classes, '--shard', '0/2'], run);
    await standinRun([...classes, '--shard', '1/2'], run);
    for (const shard of ['run.shard-0-of-2.json', 'run.shard-1-of-2.json']) {
      expect(JSON.parse(readFileSync(join(run, shard), 'utf8')).labels).toEqual({
        names: CIFAR, runs: [[3, 1], [5, 1], [1, 2], [8, 1], [9, 1], [0, 3], [3, 3]],
      });
    }
    const fromRecords = await evalJson(['--samples', run, '--splits', '2']);
    const asked = Array.from({ length: 10 }, (_, c) => ASKED_INDEX.filter((label) => label === c).length);
    expect(fromRecords.classAccuracy.perClass.map((c: { images: number }) => c.images)).toEqual(asked);
    expect(fromRecords.classAccuracy.perClass.map((c: { name: string }) => c.name)).toEqual(CIFAR);

    // The same PNGs filed by the test's own list into class folders: the same judgement image by image.
    const filed = temp();
    ASKED_INDEX.forEach((label, i) => {
      mkdirSync(join(filed, `class${label}`), { recursive: true });
      copyFileSync(join(run, `${i}.png`), join(filed, `class${label}`, `${i}.png`));
    });
    const fromFolders = await evalJson(['--samples', filed, '--splits', '2']);
    const strip = (c: { name: unknown }) => ({ ...c, name: null });
    expect(fromFolders.classAccuracy.perClass).toEqual(fromRecords.classAccuracy.perClass.map(strip));
    expect(fromFolders.classAccuracy.correct).toBe(fromRecords.classAccuracy.correct);

    // One more image no record or folder names: labelled are counted apart.
    mkdirSync(join(run, 'extra'));
    copyFileSync(join(run, '0.png'), join(run, 'extra', 'x.png'));
    const text = await runCli(['eval', '--samples', run, '--splits', '2', '--quiet']);
    expect(text.stdout).toMatch(/^class accuracy    \d\.\d{4} \(12 of 13 images labelled, 6 classes\)$/m);
  }, 120_000);

  test('a rerun into the folder keeps the labels; one with other --classes is refused, so a record never labels images of other classes', async () => {
    const run = temp();
    await standinRun(['--classes', 'cat', '--classes', 'dog'], run);
    const first = readFileSync(join(run, 'run.json'), 'utf8');
    await standinRun(['--classes', 'cat', '--classes', 'dog'], run);
    expect(JSON.parse(readFileSync(join(run, 'run.json'), 'utf8')).labels).toEqual(JSON.parse(first).labels);
    const other = await runCli(['sample', '--weights', STANDIN, '--skip_steps', '3', '--guidance_scale', '3', '--quiet', '--classes', 'dog', '--classes', 'cat', '--save_dir', run]);
    expect(other.exitCode).toBe(2);
    expect(other.stderr).toContain(`save_dir ${run} holds results of another run (other settings, model or noise file`);
  }, 120_000);

  test('a class-major run (--n_samples_each_class) records 10 runs of K; eval labels its class folders by their index, named by the record', async () => {
    const run = temp();
    await standinRun(['--n_samples_each_class', '2'], run);
    const record = JSON.parse(readFileSync(join(run, 'run.json'), 'utf8'));
    expect(record.labels).toEqual({ names: CIFAR, runs: Array.from({ length: 10 }, (_, c) => [c, 2]) });
    const report = await evalJson(['--samples', run, '--splits', '2']);
    expect(report.classAccuracy).toMatchObject({ labelled: 20, images: 20, classes: 10 });
    expect(report.classAccuracy.perClass.map((c: { images: number }) => c.images)).toEqual(new Array(10).fill(2));
    expect(report.classAccuracy.perClass.map((c: { name: string }) => c.name)).toEqual(CIFAR);
  }, 120_000);

  test('an unguided run records no labels, and its report has no class accuracy', async () => {
    const run = temp();
    await standinRun(['--guidance_scale', '0', '--n_samples', '4'], run);
    expect(JSON.parse(readFileSync(join(run, 'run.json'), 'utf8')).labels).toBeUndefined();
    const report = await evalJson(['--samples', run, '--splits', '2']);
    expect(report.classAccuracy).toBeNull();
    const text = await runCli(['eval', '--samples', run, '--splits', '2', '--quiet']);
    expect(text.stdout).not.toContain('class accuracy');
  }, 120_000);

  test('refuses, in one line: a classifier of another class count, a class folder beyond its classes, malformed recorded labels', async () => {
    const run = temp();
    await standinRun(['--class', 'ship', '--n_samples', '4'], run);
    expect(await refused(['--samples', run, '--features', TINY, '--features_output', 'pool', '--logits_output', 'scores', '--splits', '2'])).toBe(
      `error: ${run}/run.json labels items with 10 classes, but the classifier ${TINY} has 4 (0..3): class accuracy needs a classifier of the classes the samples were made for (--features)`,
    );

    const folders = temp();
    mkdirSync(join(folders, 'class10'));
    copyFileSync(join(run, '0.png'), join(folders, 'class10', '0.png'));
    copyFileSync(join(run, '1.png'), join(folders, 'class10', '1.png'));
    expect(await refused(['--samples', folders, '--splits', '2'])).toMatch(/^error: .*class10\/0\.png is labelled class 10 \(its folder\), but the classifier .*fashion_mnist_classifier\.onnx has 10 classes \(0\.\.9\)/);

    const record = JSON.parse(readFileSync(join(run, 'run.json'), 'utf8'));
    writeFileSync(join(run, 'run.json'), JSON.stringify({ ...record, labels: { names: CIFAR, runs: [[10, 4]] } }));
    expect(await refused(['--samples', run, '--splits', '2'])).toMatch(/^error: .*run\.json: "labels" run 0 has class 10, outside 0\.\.9 of its 10 names; /);
  }, 120_000);
});
