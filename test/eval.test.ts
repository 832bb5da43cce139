/**
 * `ddim eval` end to end: the real CLI, the shipped classifier and reference statistics,
 * and real samples from the shipped DDPM, written to a temp dir.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import sharp from 'sharp';
import { decodeImage } from '../core/io/images.ts';
import { loadOnnxFeatureModel } from '../core/model/onnx-feature-model.ts';
import { sha256File } from '../core/io/sha256.ts';
import { encodeNpy } from '../core/io/npy.ts';
import { zipSync } from 'fflate';
import { idxBytes } from './support/eval-fixtures.ts';
import { symmetricEigen } from '../eval/symmetric-eigen.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'cli.ts');
const CLASSIFIER = join(ROOT, 'models/fashion_mnist_classifier.onnx');
const SHIPPED_STATS = join(ROOT, 'models/fashion_mnist_test_stats.json');
/** Built by test/eval-fixtures/make_tiny_features.py. */
const TINY = join(ROOT, 'test/eval-fixtures/tiny_features_uint8.onnx');
const FASHION_MNIST = '/usr/share/datasets/fashion-mnist';
const N = 20;

// Every test spawns the CLI on 2 shared cores; bun's 5 s default is too tight under load.
setDefaultTimeout(60_000);

let dir = '';
let samples = '';

function cli(args: string[], cwd = ROOT) {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function evalJson(args: string[]) {
  const result = cli(['eval', ...args, '--json', '--quiet']);
  if (result.code !== 0) throw new Error(`eval failed (${result.code}): ${result.stderr}`);
  return JSON.parse(result.stdout);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ddim-eval-'));
  samples = join(dir, 'samples');
  const made = cli(['sample', '--save_dir', samples, '--n_samples', String(N), '--skip_steps', '10', '--quiet']);
  if (made.code !== 0) throw new Error(`sampling failed: ${made.stderr}`);
  // two disjoint halves of the samples, for comparing one set against another
  for (const [name, from] of [['a', 0], ['b', N / 2]] as const) {
    mkdirSync(join(dir, name));
    for (let i = 0; i < N / 2; i++) copyFileSync(join(samples, `${from + i}.png`), join(dir, name, `${i}.png`));
  }
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ddim eval', () => {
  test('with no flags, prints the distance to the shipped test-set statistics and the score of ./samples', () => {
    const { code, stdout, stderr } = cli(['eval'], dir);
    // the one warning: 20 samples are few for 128-d features
    const warnings = stderr.split('\n').filter((line) => line.startsWith('warning'));
    expect(warnings).toEqual([`warning: ${N} samples for 128-d features: the distance is biased upward at small N; use at least 128 images, and compare distances only at equal N`]);
    expect(code).toBe(0);
    const distance = Number(/^frechet distance\s+(\S+)$/m.exec(stdout)?.[1]);
    const score = /^inception score\s+(\S+) ± (\S+) \(10 splits\)$/m.exec(stdout);
    expect(stdout).toMatch(/^reference\s+.*fashion_mnist_test_stats\.json: 10000 images/m);
    expect(stdout).toMatch(new RegExp(`^samples\\s+${N} images in samples$`, 'm'));
    // The figures of an explicit --samples run, which test/eval-figures.test.ts recomputes without the eval code.
    const explicit = evalJson(['--samples', samples]);
    expect(distance).toBe(Number(explicit.frechetDistance.toFixed(4)));
    expect(Number(score?.[1])).toBe(Number(explicit.inceptionScore.mean.toFixed(4)));
    expect(Number(score?.[2])).toBe(Number(explicit.inceptionScore.std.toFixed(4)));
  });

  test('--json reports the same numbers with what they were computed from', () => {
    const report = evalJson(['--samples', samples, '--splits', '4']);
    const text = cli(['eval', '--samples', samples, '--splits', '4', '--quiet']).stdout;
    expect(report.samples).toEqual({ path: samples, count: N });
    expect(report.model.features).toEqual({ name: 'features', dim: 128 });
    expect(report.model.logits).toEqual({ name: 'logits', classes: 10 });
    expect(report.model.sha256).toBe(sha256File(CLASSIFIER));
    expect(report.reference).toMatchObject({ kind: 'stats', path: SHIPPED_STATS, count: 10000 });
    expect(Number.isFinite(report.frechetDistance)).toBe(true);
    expect(text).toContain(`frechet distance  ${report.frechetDistance.toFixed(4)}`);
    expect(report.inceptionScore.scores).toHaveLength(4);
    expect(text).toContain(`inception score   ${report.inceptionScore.mean.toFixed(4)} ± ${report.inceptionScore.std.toFixed(4)} (4 splits)`);
  });

  test('--json false (a separate word) prints the text report', () => {
    const { code, stdout } = cli(['eval', '--samples', samples, '--json', 'false', '--splits', '2', '--quiet']);
    expect(code).toBe(0);
    expect(stdout).toStartWith(`samples           ${N} images in ${samples}`);
  });

  test('a set compared with itself as a reference folder is at distance 0 and scores the same', () => {
    const report = evalJson(['--samples', samples, '--reference', samples]);
    expect(report.reference).toMatchObject({ kind: 'images', count: N });
    expect(Math.abs(report.frechetDistance)).toBeLessThan(1e-6);
    expect(report.reference.inceptionScore.scores).toEqual(report.inceptionScore.scores);
  });

  test('statistics saved from a folder give the same distance as the folder itself', () => {
    const saved = join(dir, 'b.json');
    const direct = evalJson(['--samples', join(dir, 'a'), '--reference', join(dir, 'b'), '--save_stats', saved]);
    expect(direct.savedStats).toBe(saved);
    expect(direct.frechetDistance).toBeGreaterThan(0);
    const viaFile = evalJson(['--samples', join(dir, 'a'), '--reference', saved]);
    expect(viaFile.reference).toMatchObject({ kind: 'stats', count: N / 2 });
    expect(viaFile.frechetDistance).toBe(direct.frechetDistance);
    const file = JSON.parse(readFileSync(saved, 'utf8'));
    expect(file.model).toMatchObject({ file: 'fashion_mnist_classifier.onnx', sha256: sha256File(CLASSIFIER), output: 'features', input: [1, 32, 32] });
    // the other direction is a different comparison with a different answer
    expect(evalJson(['--samples', join(dir, 'b'), '--reference', join(dir, 'a')]).frechetDistance).not.toBe(direct.frechetDistance);
  });

  test('pytorch-fid style .npz statistics (mu, sigma) give the same distance as the same numbers in a stats file', () => {
    const shipped = JSON.parse(readFileSync(SHIPPED_STATS, 'utf8'));
    const npz = join(dir, 'test_stats.npz');
    writeFileSync(npz, zipSync({
      'mu.npy': encodeNpy([shipped.dim], Float64Array.from(shipped.mean)),
      'sigma.npy': encodeNpy([shipped.dim, shipped.dim], Float64Array.from(shipped.cov.flat())),
    }));
    const viaJson = evalJson(['--samples', samples, '--reference', SHIPPED_STATS]);
    const result = cli(['eval', '--samples', samples, '--reference', npz, '--json']);
    expect(result.code).toBe(0);
    const viaNpz = JSON.parse(result.stdout);
    expect(viaNpz.reference).toEqual({ kind: 'npz', path: npz, count: null, accuracy: null, inceptionScore: null });
    expect(viaNpz.frechetDistance).toBe(viaJson.frechetDistance);
    expect(viaNpz.inceptionScore.scores).toEqual(viaJson.inceptionScore.scores);
    // nothing in the file says which network made it: the user is told so
    expect(result.stderr).toMatch(/warning: .*test_stats\.npz does not record the network or preprocessing/);
    const text = cli(['eval', '--samples', samples, '--reference', npz, '--quiet']).stdout;
    expect(text).toMatch(/^reference\s+.*test_stats\.npz: image count not recorded$/m);
  });

  test('.npz statistics whose sigma is not positive semi-definite are refused in one line', () => {
    // The samples' own covariance with one eigenvalue λ turned into −λ: every 2×2 minor still
    // looks like a covariance's, but Σ₁Σ₂ has the eigenvalue −λ².
    const saved = join(dir, 'own.json');
    evalJson(['--reference', samples, '--save_stats', saved]);
    const own = JSON.parse(readFileSync(saved, 'utf8'));
    const dim: number = own.dim;
    const cov = Float64Array.from(own.cov.flat());
    const { values, vectors } = symmetricEigen(cov, dim);
    const order = Array.from(values.keys()).sort((a, b) => values[b]! - values[a]!);
    const k = order[16]!;
    expect(values[k]!).toBeGreaterThan(1e-3 * values[order[0]!]!);
    for (let i = 0; i < dim; i++) {
      for (let j = 0; j < dim; j++) cov[i * dim + j]! -= 2 * values[k]! * vectors[i * dim + k]! * vectors[j * dim + k]!;
    }
    const npz = join(dir, 'indefinite.npz');
    writeFileSync(npz, zipSync({ 'mu.npy': encodeNpy([dim], Float64Array.from(own.mean)), 'sigma.npy': encodeNpy([dim, dim], cov) }));
    const result = cli(['eval', '--samples', samples, '--reference', npz, '--quiet']);
    // after the warning that an .npz does not name its network, one line and no stack trace
    expect(result.stderr).toMatch(/\nerror: reference .*indefinite\.npz: its covariance is not positive semi-definite, as one of features must be; recompute it\n$/);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(2);
    expect(result.code).toBe(2);
  });

  test('an idx reference holding the same pixels is at distance 0, and labels give the accuracy', async () => {
    const pixels = new Uint8Array(N * 32 * 32);
    for (let i = 0; i < N; i++) pixels.set(await sharp(join(samples, `${i}.png`)).grayscale().raw().toBuffer(), i * 1024);
    const images = join(dir, 'samples-idx3-ubyte.gz');
    writeFileSync(images, gzipSync(idxBytes([N, 32, 32], pixels)));
    // labels = the classifier's own predictions, computed here without the eval code
    const model = await loadOnnxFeatureModel(CLASSIFIER);
    const input = new Float32Array(N * 1024);
    for (let i = 0; i < N; i++) await decodeImage(join(samples, `${i}.png`), 32, 1, input, i * 1024);
    const logits = (await model.run(input, N)).logits!;
    await model.dispose();
    const predicted = Uint8Array.from({ length: N }, (_, i) => {
      const row = Array.from(logits.subarray(i * 10, i * 10 + 10));
      return row.indexOf(Math.max(...row));
    });
    writeFileSync(join(dir, 'right-labels'), idxBytes([N], predicted));
    writeFileSync(join(dir, 'wrong-labels'), idxBytes([N], predicted.map((c) => (c + 1) % 10)));

    const right = evalJson(['--samples', samples, '--reference', images, '--reference_pad', '0', '--reference_labels', join(dir, 'right-labels')]);
    expect(right.reference).toMatchObject({ kind: 'idx', count: N, accuracy: 1 });
    expect(Math.abs(right.frechetDistance)).toBeLessThan(1e-6);
    const wrong = evalJson(['--samples', samples, '--reference', images, '--reference_pad', '0', '--reference_labels', join(dir, 'wrong-labels')]);
    expect(wrong.reference.accuracy).toBe(0);
  });

  test('adapts to a uint8 RGB model with a fixed batch and named outputs: distance worked out by hand', async () => {
    // features = per-channel byte means, so solid colours have known features whatever the resize does
    const solid = async (folder: string, colours: [number, number, number][]) => {
      mkdirSync(join(dir, folder));
      for (const [i, [r, g, b]] of colours.entries()) {
        await sharp({ create: { width: 20, height: 12, channels: 3, background: { r, g, b } } }).png().toFile(join(dir, folder, `${i}.png`));
      }
    };
    await solid('reds', [0, 50, 100, 150, 200].map((r) => [r, 0, 0]));
    await solid('greens', [40, 80, 120, 160].map((g) => [0, g, 0]));
    const report = evalJson([
      '--samples', join(dir, 'reds'), '--reference', join(dir, 'greens'), '--features', TINY,
      '--features_output', 'pool', '--logits_output', 'scores', '--splits', '1',
    ]);
    expect(report.model.input).toEqual({ name: 'pixels', type: 'uint8', shape: [3, 8, 8], range: [0, 255] });
    expect(report.model.features).toEqual({ name: 'pool', dim: 3 });
    expect(report.samples.count).toBe(5);
    // reds: mean (100,0,0), variance 25000/4 in R only; greens: mean (0,100,0), variance 8000/3 in G only.
    // The covariances are orthogonal, so Tr√(S₁S₂) = 0 and d² = |μ₁−μ₂|² + Tr S₁ + Tr S₂.
    const expected = 100 ** 2 + 100 ** 2 + 25000 / 4 + 8000 / 3;
    expect(Math.abs(report.frechetDistance - expected)).toBeLessThan(1e-9 * expected);
    expect(report.inceptionScore.mean).toBeGreaterThan(1);
    expect(report.inceptionScore.mean).toBeLessThan(4);
  });

  test('the shipped reference statistics belong to the shipped classifier', () => {
    const file = JSON.parse(readFileSync(SHIPPED_STATS, 'utf8'));
    expect(file).toMatchObject({ format: 'ddim-feature-stats', count: 10000, dim: 128, source: { kind: 'idx', path: 't10k-images-idx3-ubyte.gz', pad: 2 } });
    expect(file.model.sha256).toBe(sha256File(CLASSIFIER));
    expect(file.accuracy).toBeGreaterThan(0.9);
  });

  test.skipIf(!existsSync(join(FASHION_MNIST, 't10k-images-idx3-ubyte.gz')))(
    'classifies the first 1000 Fashion-MNIST test images read from idx at least 90% right (needs dataset-fashion-mnist)',
    () => {
      const slice = (name: string, header: number, itemBytes: number) => {
        const bytes = gunzipSync(readFileSync(join(FASHION_MNIST, name)));
        const out = Uint8Array.from(bytes.subarray(0, header + 1000 * itemBytes));
        new DataView(out.buffer).setUint32(4, 1000, false);
        writeFileSync(join(dir, name.replace('.gz', '')), out);
        return join(dir, name.replace('.gz', ''));
      };
      const images = slice('t10k-images-idx3-ubyte.gz', 16, 784);
      const labels = slice('t10k-labels-idx1-ubyte.gz', 8, 1);
      const report = evalJson(['--reference', images, '--reference_labels', labels, '--save_stats', join(dir, 'test1000.json')]);
      expect(report.samples).toBeNull();
      expect(report.reference.accuracy).toBeGreaterThan(0.9);
      // the score of real test images is high: the classifier is confident and the classes balanced
      expect(report.reference.inceptionScore.mean).toBeGreaterThan(7);
    },
  );

  test('a folder of interpolation rows is evaluated with a warning that they are not samples', () => {
    const rows = join(dir, 'rows');
    expect(cli(['sample', '--mode', 'interpolate', '--n_samples', '2', '--n_interpolate', '3', '--skip_steps', '3', '--save_dir', rows, '--quiet']).code).toBe(0);
    const { code, stderr } = cli(['eval', '--samples', rows, '--splits', '1', '--quiet']);
    expect(code).toBe(0);
    expect(stderr).toContain(`warning: ${rows} holds the results of a run in mode "interpolate" (see its run.json): its PNGs are not single samples`);
  });

  test('--help describes the eval flags', () => {
    const { code, stdout } = cli(['eval', '--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: bun run ddim eval');
    expect(stdout).toContain('--save_stats FILE.json');
  });
});

describe('ddim eval on bad input', () => {
  test.each([
    ['a missing samples folder', () => ['--samples', join(dir, 'nope')], /^error: samples folder not found: .*nope\n$/],
    ['an empty samples folder', () => (mkdirSync(join(dir, 'empty'), { recursive: true }), ['--samples', join(dir, 'empty')]), /no images \(.png, .jpg, .jpeg, .webp\) found in samples folder/],
    ['an unreadable image', () => {
      mkdirSync(join(dir, 'broken'), { recursive: true });
      copyFileSync(join(samples, '0.png'), join(dir, 'broken', '0.png'));
      writeFileSync(join(dir, 'broken', '1.png'), 'not a png');
      return ['--samples', join(dir, 'broken'), '--splits', '1'];
    }, /^error: cannot read image .*broken\/1\.png/],
    ['a diffusion model as the feature model', () => ['--samples', samples, '--features', join(ROOT, 'models/ddpm_fashion_mnist.onnx')], /has inputs \[x, t\]; expected one image input/],
    ['a file that is not ONNX', () => (writeFileSync(join(dir, 'junk.onnx'), 'junk'), ['--samples', samples, '--features', join(dir, 'junk.onnx')]), /not a valid ONNX file/],
    ['reference statistics of another output', () => ['--samples', samples, '--reference', SHIPPED_STATS, '--features_output', 'logits'], /hold 128-d features; the model's "logits" output has 10/],
    ['.npz statistics of another dimension', () => ['--samples', samples, '--reference', join(ROOT, 'test/eval-fixtures/fid_stats_savez.npz')], /fid_stats_savez\.npz hold 3-d features; the model's "features" output has 128\n$/],
    ['a reference that is neither images, idx nor stats', () => (writeFileSync(join(dir, 'notes.txt'), 'hello'), ['--samples', samples, '--reference', join(dir, 'notes.txt')]), /neither a folder of images/],
    ['a sampling flag', () => ['--samples', samples, '--skip_steps', '5'], /--skip_steps is not an eval flag/],
    ['an --image_size the model does not take', () => ['--samples', samples, '--image_size', '64'], /--image_size 64: feature model .* fixes its input at 32×32/],
    ['--save_stats without a reference', () => ['--save_stats', join(dir, 'x.json')], /--save_stats needs --reference/],
    ['a reversed --input_range', () => ['--samples', samples, '--input_range', '1,0'], /--input_range: expected LOW,HIGH/],
    ['more splits than samples', () => ['--samples', samples, '--splits', '50'], /needs at least 50 images, found 20/],
  ] as [string, () => string[], RegExp][])('%s: one line on stderr, exit code 2', (_name, args, message) => {
    const { code, stdout, stderr } = cli(['eval', ...args(), '--quiet']);
    expect(stderr).toMatch(message);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(stderr).toStartWith('error: ');
    expect(stdout).toBe('');
    expect(code).toBe(2);
  });
});
