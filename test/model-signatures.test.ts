/**
 * The model's signature is read from the file: input names, the timestep's dtype, and
 * learned-variance outputs of 2C channels. Small real ONNX graphs, built here.
 */
import { describe, expect, test } from 'bun:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configFromObject, createPipeline, memorySink } from '../index.ts';
import { tempDirSync } from './support/fixtures.ts';
import { FLOAT, buildOnnxModel, type NodeSpec } from './support/onnx-builder.ts';

const SIZE = 8;

/** ε(x, t) = x·(0.5 + t/2000): depends on both inputs, so a wrong feed shows. */
function epsModel(options: { image: string; time: string; timeType: 'float' | 'int64'; learnedVariance?: boolean }): Uint8Array {
  const nodes: NodeSpec[] = [
    ...(options.timeType === 'int64' ? [{ op: 'Cast', inputs: [options.time], outputs: ['t_float'], attributes: { to: FLOAT } } as NodeSpec] : []),
    { op: 'Div', inputs: [options.timeType === 'int64' ? 't_float' : options.time, 'two_thousand'], outputs: ['t_scaled'] },
    { op: 'Add', inputs: ['t_scaled', 'half'], outputs: ['gain_flat'] },
    { op: 'Reshape', inputs: ['gain_flat', 'shape'], outputs: ['gain'] },
    { op: 'Mul', inputs: [options.image, 'gain'], outputs: [options.learnedVariance ? 'eps' : 'out'] },
  ];
  if (options.learnedVariance) {
    // A second half of C channels that must be ignored: 100 + x.
    nodes.push({ op: 'Add', inputs: [options.image, 'hundred'], outputs: ['variance'] });
    nodes.push({ op: 'Concat', inputs: ['eps', 'variance'], outputs: ['out'], attributes: { axis: 1 } });
  }
  return buildOnnxModel({
    inputs: [
      { name: options.image, type: 'float', shape: ['batch', 1, SIZE, SIZE] },
      { name: options.time, type: options.timeType, shape: ['batch'] },
    ],
    outputs: [{ name: 'out', type: 'float', shape: ['batch', options.learnedVariance ? 2 : 1, SIZE, SIZE] }],
    initializers: [
      { name: 'two_thousand', dims: [], float: [2000] },
      { name: 'half', dims: [], float: [0.5] },
      { name: 'hundred', dims: [], float: [100] },
      { name: 'shape', dims: [4], int64: [-1, 1, 1, 1] },
    ],
    nodes,
  });
}

async function sampleWith(file: string): Promise<Float32Array> {
  const config = configFromObject({
    seed: 3,
    data: { img_size: SIZE, img_channels: 1 },
    diffusion: { params: { skip_steps: 5, clip_denoised: false } },
    sampler: { weights: file, n_samples: 4 },
  });
  const pipeline = await createPipeline(config);
  const sink = memorySink();
  await pipeline.run({ sink });
  await pipeline.dispose();
  return sink.samples;
}

describe('model signatures', () => {
  const dir = tempDirSync();
  const write = (name: string, bytes: Uint8Array) => {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    return path;
  };

  test('other input names and a float timestep give the same samples as x / int64 t', async () => {
    const reference = await sampleWith(write('int64.onnx', epsModel({ image: 'x', time: 't', timeType: 'int64' })));
    const renamed = await sampleWith(write('float.onnx', epsModel({ image: 'sample', time: 'timestep', timeType: 'float' })));
    expect(reference.some((v) => v !== 0)).toBe(true);
    expect([...renamed]).toEqual([...reference]);
  });

  test('a learned-variance model (2C output channels) samples with its first C channels', async () => {
    const plain = await sampleWith(write('plain.onnx', epsModel({ image: 'x', time: 't', timeType: 'int64' })));
    const wide = await sampleWith(write('wide.onnx', epsModel({ image: 'x', time: 't', timeType: 'int64', learnedVariance: true })));
    expect([...wide]).toEqual([...plain]);
  });

  test('an output of another shape is refused before sampling', async () => {
    const bad = buildOnnxModel({
      inputs: [
        { name: 'x', type: 'float', shape: ['batch', 1, SIZE, SIZE] },
        { name: 't', type: 'int64', shape: ['batch'] },
      ],
      outputs: [{ name: 'out', type: 'float', shape: ['batch', 3, SIZE, SIZE] }],
      initializers: [],
      nodes: [{ op: 'Concat', inputs: ['x', 'x', 'x'], outputs: ['out'], attributes: { axis: 1 } }],
    });
    await expect(sampleWith(write('bad.onnx', bad))).rejects.toThrow('expected float32 [B,1,8,8] (or [B,2,8,8] with learned variance)');
  });
});
