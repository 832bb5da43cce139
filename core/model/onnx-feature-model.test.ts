import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadOnnxFeatureModel } from './onnx-feature-model.ts';
import { maxAbsDiff, seededRandom } from '../../test/support/eval-fixtures.ts';

const CLASSIFIER = fileURLToPath(new URL('../../models/fashion_mnist_classifier.onnx', import.meta.url));
const DDPM = fileURLToPath(new URL('../../models/ddpm_fashion_mnist.onnx', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ddim-features-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const rng = seededRandom(21);
const images = Float32Array.from({ length: 3 * 1024 }, () => Math.tanh(rng.normal()));

describe('loadOnnxFeatureModel', () => {
  test('reads the shipped classifier\'s input geometry and its two outputs', async () => {
    const model = await loadOnnxFeatureModel(CLASSIFIER);
    expect(model.info).toMatchObject({
      inputName: 'x', inputType: 'float32', channels: 1, height: 32, width: 32, fixedBatch: undefined,
      features: { name: 'features', dim: 128 }, logits: { name: 'logits', classes: 10 },
    });
    await model.dispose();
  });

  test('gives each image the same features in a batch as alone', async () => {
    const model = await loadOnnxFeatureModel(CLASSIFIER);
    const batch = await model.run(images, 3);
    const together = { features: Float32Array.from(batch.features!), logits: Float32Array.from(batch.logits!) };
    expect(together.features).toHaveLength(3 * 128);
    expect(together.logits).toHaveLength(3 * 10);
    for (let i = 0; i < 3; i++) {
      const alone = await model.run(images.slice(i * 1024, (i + 1) * 1024), 1);
      expect(maxAbsDiff(alone.features!, together.features.subarray(i * 128, (i + 1) * 128))).toBeLessThan(1e-4);
      expect(maxAbsDiff(alone.logits!, together.logits.subarray(i * 10, (i + 1) * 10))).toBeLessThan(1e-4);
    }
    await model.dispose();
  });

  test('maps [-1, 1] images to the input range it is given', async () => {
    const plain = await loadOnnxFeatureModel(CLASSIFIER);
    const unit = await loadOnnxFeatureModel(CLASSIFIER, { inputRange: [0, 1] });
    // the [0, 1] model sees (v + 1)/2; the plain one sees what it is given
    const halved = images.map((v) => (v + 1) / 2);
    const expected = Float32Array.from((await plain.run(halved, 3)).features!);
    const got = (await unit.run(images, 3)).features!;
    expect(maxAbsDiff(got, expected)).toBeLessThan(1e-4);
    expect(maxAbsDiff(expected, (await plain.run(images, 3)).features!)).toBeGreaterThan(1e-2);
    await plain.dispose();
    await unit.dispose();
  });

  test('takes the outputs the user names', async () => {
    const model = await loadOnnxFeatureModel(CLASSIFIER, { featuresOutput: 'logits' });
    expect(model.info.features).toEqual({ name: 'logits', dim: 10 });
    await model.dispose();
    await expect(loadOnnxFeatureModel(CLASSIFIER, { featuresOutput: 'feature' })).rejects.toThrow(
      /has no output "feature" \(--features_output\); did you mean "features"\?; its outputs: \[features, logits\]/,
    );
  });

  test('refuses a diffusion model, a file that is not ONNX and a missing file', async () => {
    await expect(loadOnnxFeatureModel(DDPM)).rejects.toThrow(/has inputs \[x, t\]; expected one image input/);
    const junk = join(dir, 'junk.onnx');
    writeFileSync(junk, 'not a model');
    await expect(loadOnnxFeatureModel(junk)).rejects.toThrow(/not a valid ONNX file/);
    await expect(loadOnnxFeatureModel(join(dir, 'none.onnx'))).rejects.toThrow(/model file not found/);
  });
});
