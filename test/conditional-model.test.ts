/**
 * The class input of the model contract: a third input of integer labels [B], found by
 * type and name whatever the order; the null class; learned variance; the exported
 * stand-in's y = −1 against PyTorch's y=None, on both backends. Small real ONNX graphs (test/support/conditional-onnx.ts), and the
 * stand-in in test/fixtures/conditional (tools/make_conditional_fixture.py).
 */
import { describe, expect, test } from 'bun:test';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configFromObject, createPipeline, memorySink } from '../index.ts';
import { parseNpy } from '../core/io/npy.ts';
import { loadOnnxModel, loadWebModel } from '../core/model/backends.ts';
import { ROOT, tempDirSync } from './support/fixtures.ts';
import { buildOnnxModel } from './support/onnx-builder.ts';
import { PLAIN, SIZE, conditionalModel } from './support/conditional-onnx.ts';

const CONDITIONAL = join(ROOT, 'test/fixtures/conditional');

async function sampleWith(file: string, sampler: Record<string, unknown> = {}): Promise<Float32Array> {
  const config = configFromObject({
    seed: 3,
    data: { img_size: SIZE, img_channels: 1, num_classes: 4 },
    diffusion: { params: { skip_steps: 5, clip_denoised: false } },
    sampler: { weights: file, n_samples: 3, guidance_scale: 3, class: 2, ...sampler },
  });
  const pipeline = await createPipeline(config);
  const sink = memorySink();
  try {
    await pipeline.run({ sink });
  } finally {
    await pipeline.dispose();
  }
  return sink.samples;
}

describe('conditional model signatures', () => {
  const dir = tempDirSync();
  const write = (name: string, bytes: Uint8Array) => {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    return path;
  };

  test('labels first, other names and int32 labels give the same samples as (x, t, y int64)', async () => {
    const reference = await sampleWith(write('xty.onnx', conditionalModel(PLAIN, ['image', 'time', 'label'], 'int64')));
    const names = { image: 'sample', time: 'timestep', label: 'class_labels' };
    const reordered = await sampleWith(write('ytx.onnx', conditionalModel(names, ['label', 'time', 'image'], 'int32')));
    expect(reference.some((v) => v !== 0)).toBe(true);
    expect([...reordered]).toEqual([...reference]);
  });

  test('the class reaches the network: another class gives other samples', async () => {
    const file = write('classes.onnx', conditionalModel(PLAIN, ['image', 'time', 'label'], 'int64'));
    const two = await sampleWith(file);
    const three = await sampleWith(file, { class: 3 });
    expect([...three]).not.toEqual([...two]);
  });

  test('a learned-variance conditional model (2C output channels) samples with its first C channels', async () => {
    const plain = await sampleWith(write('cplain.onnx', conditionalModel(PLAIN, ['image', 'time', 'label'], 'int64')));
    const wide = await sampleWith(write('cwide.onnx', conditionalModel(PLAIN, ['image', 'time', 'label'], 'int64', true)));
    expect([...wide]).toEqual([...plain]);
  });

  test('a float third input is refused in one line naming what is expected', async () => {
    const file = write('float-label.onnx', conditionalModel(PLAIN, ['image', 'time', 'label'], 'float'));
    await expect(sampleWith(file)).rejects.toThrow('class input "y" is float32 [batch]; expected integer labels [B] (int64 or int32)');
  });

  test('a fourth input is refused in one line naming the inputs it takes', async () => {
    const four = buildOnnxModel({
      inputs: [
        { name: 'x', type: 'float', shape: ['batch', 1, SIZE, SIZE] },
        { name: 't', type: 'int64', shape: ['batch'] },
        { name: 'y', type: 'int64', shape: ['batch'] },
        { name: 'mask', type: 'float', shape: ['batch', 1, SIZE, SIZE] },
      ],
      outputs: [{ name: 'out', type: 'float', shape: ['batch', 1, SIZE, SIZE] }],
      initializers: [],
      nodes: [{ op: 'Add', inputs: ['x', 'mask'], outputs: ['out'] }],
    });
    await expect(sampleWith(write('four.onnx', four))).rejects.toThrow(
      'has inputs [x, t, y, mask]; expected an image x [B,C,H,W], a timestep t [B] and, for a class-conditional network, labels y [B]',
    );
  });

  test('unconditional rows get the null class: -1 by default, model.null_class otherwise', async () => {
    const file = write('null.onnx', conditionalModel(PLAIN, ['image', 'time', 'label'], 'int64'));
    const x = new Float32Array(SIZE * SIZE).fill(0.25);
    for (const nullClass of [undefined, 4]) {
      const model = await loadOnnxModel(file, nullClass === undefined ? {} : { nullClass });
      const none = (await model.run(x, [10], 1)).slice();
      const asNull = (await model.run(x, [10], 1, [nullClass ?? -1])).slice();
      const negative = (await model.run(x, [10], 1, [-1])).slice();
      await model.dispose();
      expect([...none]).toEqual([...asNull]);
      expect([...negative]).toEqual([...asNull]);
      // ε = x·(0.5 + 10/2000) + null/20
      expect(none[0]).toBeCloseTo(0.25 * 0.505 + (nullClass ?? -1) / 20, 6);
    }
  });
});

/** Both backends: onnxruntime-node from the path, onnxruntime-web from the bytes. */
const BACKENDS = [
  { name: 'native', provider: 'cpu', load: (path: string) => loadOnnxModel(path) },
  { name: 'web', provider: 'wasm', load: (path: string) => loadWebModel(new Uint8Array(readFileSync(path))) },
] as const;

describe('the exported stand-in of the original conditional network', () => {
  for (const backend of BACKENDS) test(`${backend.name} backend: its output for y = -1 is PyTorch's for y=None, and a class changes it`, async () => {
    const model = await backend.load(join(CONDITIONAL, 'standin.onnx'));
    expect(model.info.providers).toEqual([backend.provider]);
    expect(model.info.classInput).toEqual({ name: 'y', type: 'int64', nullClass: -1 });
    const x = parseNpy(readFileSync(join(CONDITIONAL, 'standin_probe.npy')));
    const expected = parseNpy(readFileSync(join(CONDITIONAL, 'standin_uncond.npy')));
    const { t } = JSON.parse(readFileSync(join(CONDITIONAL, 'standin_probe.json'), 'utf8')) as { t: number[] };
    const uncond = (await model.run(x.data, t, t.length, t.map(() => -1))).slice();
    const cond = (await model.run(x.data, t, t.length, [0, 3, 5, 9])).slice();
    await model.dispose();
    let unconditional = 0;
    let conditional = 0;
    for (let i = 0; i < uncond.length; i++) {
      unconditional = Math.max(unconditional, Math.abs(uncond[i]! - expected.data[i]!));
      conditional = Math.max(conditional, Math.abs(cond[i]! - expected.data[i]!));
    }
    // float32 onnxruntime against float32 PyTorch: measured 6.6e-7.
    expect(unconditional).toBeLessThan(1e-5);
    expect(conditional).toBeGreaterThan(0.1);
  });
});
