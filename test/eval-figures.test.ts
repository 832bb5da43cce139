/**
 * `ddim eval`'s figures worked out again without the eval code: pixels read with sharp or from
 * the idx bytes, the classifier run through onnxruntime directly, the statistics, the Fréchet
 * distance and the score by their textbook definitions. Matching them pins the wiring (which
 * output, which input range, which reference, how many splits) that bounds such as
 * "distance > 0" or "1 < score < 10" let through.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { symmetricEigen } from '../eval/symmetric-eigen.ts';
import { runCli } from './support/cli.ts';
import { documentedShuffle } from './support/eval-fixtures.ts';
import { ROOT, tempDirSync } from './support/fixtures.ts';

const CLASSIFIER = join(ROOT, 'models/fashion_mnist_classifier.onnx');
const SHIPPED_STATS = join(ROOT, 'models/fashion_mnist_test_stats.json');
const FASHION_MNIST = '/usr/share/datasets/fashion-mnist';
const N = 20;
const DIM = 128;
const CLASSES = 10;

interface Moments {
  readonly mean: Float64Array;
  readonly cov: Float64Array;
}

let session: ort.InferenceSession;
let dir = '';

beforeAll(async () => {
  session = await ort.InferenceSession.create(CLASSIFIER);
  dir = tempDirSync('ddim-eval-figures-');
  const made = await runCli(['sample', '--save_dir', join(dir, 'samples'), '--n_samples', String(N), '--skip_steps', '10', '--quiet']);
  if (made.exitCode !== 0) throw new Error(`sampling failed: ${made.stderr}`);
}, 120_000);
afterAll(async () => {
  await session?.release();
  rmSync(dir, { recursive: true, force: true });
});

/** Features and logits of n 1×32×32 images in [−1, 1]. */
async function classify(images: Float32Array, n: number): Promise<{ features: Float32Array; logits: Float32Array }> {
  const out = await session.run({ x: new ort.Tensor('float32', images, [n, 1, 32, 32]) });
  return { features: out.features!.data as Float32Array, logits: out.logits!.data as Float32Array };
}

/** Mean and unbiased covariance, two passes. */
function moments(x: ArrayLike<number>, n: number, dim: number): Moments {
  const mean = new Float64Array(dim);
  for (let r = 0; r < n; r++) for (let j = 0; j < dim; j++) mean[j]! += x[r * dim + j]! / n;
  const cov = new Float64Array(dim * dim);
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < dim; i++) {
      const di = x[r * dim + i]! - mean[i]!;
      for (let j = 0; j < dim; j++) cov[i * dim + j]! += (di * (x[r * dim + j]! - mean[j]!)) / (n - 1);
    }
  }
  return { mean, cov };
}

/** d² = |μa − μb|² + Tr Σa + Tr Σb − 2 Tr (√Σb Σa √Σb)^½, with √Σb from Σb's eigenvectors. */
function frechet(a: Moments, b: Moments, dim = DIM): number {
  const { values, vectors } = symmetricEigen(b.cov, dim);
  const root = new Float64Array(dim * dim);
  for (let i = 0; i < dim; i++) for (let j = 0; j < dim; j++) {
    let sum = 0;
    for (let k = 0; k < dim; k++) sum += vectors[i * dim + k]! * Math.sqrt(Math.max(values[k]!, 0)) * vectors[j * dim + k]!;
    root[i * dim + j] = sum;
  }
  const product = (p: Float64Array, q: Float64Array) => {
    const out = new Float64Array(dim * dim);
    for (let i = 0; i < dim; i++) for (let k = 0; k < dim; k++) for (let j = 0; j < dim; j++) out[i * dim + j]! += p[i * dim + k]! * q[k * dim + j]!;
    return out;
  };
  const middle = product(product(root, a.cov), root);
  const eigenvalues = symmetricEigen(middle, dim, { vectors: false }).values;
  // Eigenvalues at round-off level (Σa of 20 samples has rank 19) are zeros: their square roots
  // (~1e-7 each) would add up to more than the agreement sought.
  const floor = 1e-12 * Math.max(...eigenvalues);
  const cross = eigenvalues.reduce((sum, v) => sum + (v > floor ? Math.sqrt(v) : 0), 0);
  let d = 0;
  for (let i = 0; i < dim; i++) d += (a.mean[i]! - b.mean[i]!) ** 2 + a.cov[i * dim + i]! + b.cov[i * dim + i]!;
  return d - 2 * cross;
}

/** exp(mean KL(p(y|x) ‖ p(y))) per split of the shuffled positions ⌊s·n/splits⌋ …, then their mean. */
function inceptionScore(logits: Float32Array, n: number, splits: number): { mean: number; scores: number[] } {
  const order = documentedShuffle(n);
  const p = order.map((r) => {
    const row = Array.from(logits.subarray(r * CLASSES, (r + 1) * CLASSES));
    const exp = row.map((v) => Math.exp(v - Math.max(...row)));
    const total = exp.reduce((a, b) => a + b, 0);
    return exp.map((v) => v / total);
  });
  const scores = Array.from({ length: splits }, (_, s) => {
    const part = p.slice(Math.floor((s * n) / splits), Math.floor(((s + 1) * n) / splits));
    const marginal = Array.from({ length: CLASSES }, (_, c) => part.reduce((sum, q) => sum + q[c]!, 0) / part.length);
    const kl = part.reduce((sum, q) => sum + q.reduce((k, v, c) => (v > 0 ? k + v * Math.log(v / marginal[c]!) : k), 0), 0);
    return Math.exp(kl / part.length);
  });
  return { mean: scores.reduce((a, b) => a + b, 0) / splits, scores };
}

function shippedMoments(): Moments {
  const file = JSON.parse(readFileSync(SHIPPED_STATS, 'utf8'));
  return { mean: Float64Array.from(file.mean), cov: Float64Array.from(file.cov.flat()) };
}

function maxRelativeDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]!));
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
  }
  return diff / scale;
}

describe('ddim eval figures, recomputed', () => {
  test('a sample folder: the distance to the shipped statistics and the score over 10 splits', async () => {
    const samples = join(dir, 'samples');
    // In sorted path order (0, 1, 10, 11, …), as eval lists a folder: the shuffle permutes that order.
    const names = Array.from({ length: N }, (_, i) => `${i}.png`).sort();
    const images = new Float32Array(N * 1024);
    for (let i = 0; i < N; i++) {
      const pixels = await sharp(join(samples, names[i]!)).grayscale().raw().toBuffer();
      for (let j = 0; j < 1024; j++) images[i * 1024 + j] = pixels[j]! / 127.5 - 1;
    }
    const { features, logits } = await classify(images, N);
    const distance = frechet(moments(features, N, DIM), shippedMoments());
    const score = inceptionScore(logits, N, 10);

    const result = await runCli(['eval', '--samples', samples, '--json', '--quiet']);
    expect(result.exitCode).toBe(0);
    const report = JSON.parse(result.stdout);
    // Float64 sums in another order and another matrix square root: they agree to 4e-14 (measured).
    expect(Math.abs(report.frechetDistance - distance)).toBeLessThan(1e-9 * distance);
    expect(report.inceptionScore.scores).toHaveLength(10);
    expect(maxRelativeDiff(report.inceptionScore.scores, score.scores)).toBeLessThan(1e-10);
    expect(Math.abs(report.inceptionScore.mean - score.mean)).toBeLessThan(1e-10 * score.mean);
  });

  test.skipIf(!existsSync(join(FASHION_MNIST, 't10k-images-idx3-ubyte.gz')))(
    'the first 1000 Fashion-MNIST test images from idx: statistics, accuracy and score, and how close they lie to the shipped statistics (needs dataset-fashion-mnist)',
    async () => {
      const COUNT = 1000;
      const slice = (name: string, header: number, itemBytes: number) => {
        const bytes = Buffer.from(gunzipSync(readFileSync(join(FASHION_MNIST, name))).subarray(0, header + COUNT * itemBytes));
        bytes.writeUInt32BE(COUNT, 4);
        writeFileSync(join(dir, name.replace('.gz', '')), bytes);
        return bytes;
      };
      const bytes = slice('t10k-images-idx3-ubyte.gz', 16, 784);
      const labels = slice('t10k-labels-idx1-ubyte.gz', 8, 1);
      // 28×28 padded with 2 black pixels to 32×32, v/127.5 − 1: as tools/train_classifier.py trained it.
      const images = new Float32Array(COUNT * 1024).fill(-1);
      for (let i = 0; i < COUNT; i++) {
        for (let r = 0; r < 28; r++) for (let c = 0; c < 28; c++) images[i * 1024 + (r + 2) * 32 + c + 2] = bytes[16 + i * 784 + r * 28 + c]! / 127.5 - 1;
      }
      const { features, logits } = await classify(images, COUNT);
      let correct = 0;
      for (let i = 0; i < COUNT; i++) {
        const row = Array.from(logits.subarray(i * CLASSES, (i + 1) * CLASSES));
        if (row.indexOf(Math.max(...row)) === labels[8 + i]) correct++;
      }
      const own = moments(features, COUNT, DIM);

      const saved = join(dir, 'test1000.json');
      const result = await runCli(['eval', '--reference', join(dir, 't10k-images-idx3-ubyte'), '--reference_labels', join(dir, 't10k-labels-idx1-ubyte'),
        '--save_stats', saved, '--json', '--quiet']);
      expect(result.exitCode).toBe(0);
      const report = JSON.parse(result.stdout).reference;
      expect(report).toMatchObject({ kind: 'idx', count: COUNT, accuracy: correct / COUNT });
      expect(Math.abs(report.inceptionScore.mean - inceptionScore(logits, COUNT, 10).mean)).toBeLessThan(1e-9);
      const file = JSON.parse(readFileSync(saved, 'utf8'));
      expect(maxRelativeDiff(file.mean, own.mean)).toBeLessThan(1e-9);
      expect(maxRelativeDiff(file.cov.flat(), own.cov)).toBeLessThan(1e-9);

      // Measured: accuracy 0.945, distance 0.201 to the statistics of all 10,000 (which these
      // are a tenth of), where the README's 10-step samples are at 4.27.
      expect(correct / COUNT).toBeGreaterThanOrEqual(0.9);
      expect(frechet(own, shippedMoments())).toBeLessThan(0.5);
    },
  );
});
