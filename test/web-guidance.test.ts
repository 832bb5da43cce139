/**
 * Class-conditional models and guidance on the web backend (onnxruntime-web, WebAssembly):
 * int64 and int32 label inputs and the null class reach the network as on the native backend,
 * and createWebPipeline — the edge bundle's entry, from a config and the model's bytes, its
 * classes read from the model card inside them — samples a class with guidance as the native
 * CLI does. (The guided parity cases run
 * with `--backend web` in test/guided-parity.test.ts, the stand-in's y=None check in
 * test/conditional-model.test.ts.)
 */
import { describe, expect, test } from 'bun:test';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { memorySink } from '../index.ts';
import { parseNpy } from '../core/io/npy.ts';
import { configFromObject } from '../core/config/validate-config.ts';
import { loadOnnxModel, loadWebModel } from '../core/model/backends.ts';
import { createWebPipeline } from '../edge/create-web-pipeline.ts';
import { runCli } from './support/cli.ts';
import { WEB_SAMPLES_LIMIT, maxAbsDiff } from './support/sample-diff.ts';
import { PLAIN, SIZE, conditionalModel } from './support/conditional-onnx.ts';
import { ROOT, tempDirSync } from './support/fixtures.ts';

const CONDITIONAL = join(ROOT, 'test/fixtures/conditional');
const STANDIN = join(CONDITIONAL, 'standin.onnx');

describe('the class input on onnxruntime-web', () => {
  for (const labelType of ['int64', 'int32'] as const) {
    test(`${labelType} labels: each row gets its class, −1 the null class (model.null_class another), as on the native backend`, async () => {
      const bytes = conditionalModel(PLAIN, ['image', 'time', 'label'], labelType);
      const file = join(tempDirSync(), `${labelType}.onnx`);
      writeFileSync(file, bytes);
      const rows = 4;
      const x = new Float32Array(rows * SIZE * SIZE).map((_, i) => ((i % 17) - 8) / 10);
      const timesteps = [10, 500, 999, 0];
      const labels = [0, 3, -1, 2];
      for (const nullClass of [undefined, 4]) {
        const web = await loadWebModel(bytes, nullClass === undefined ? {} : { nullClass });
        const native = await loadOnnxModel(file, nullClass === undefined ? {} : { nullClass });
        expect(web.info.providers).toEqual(['wasm']);
        expect(web.info.classInput).toEqual({ name: 'y', type: labelType, nullClass: nullClass ?? -1 });
        const ours = (await web.run(x, timesteps, rows, labels)).slice();
        const theirs = (await native.run(x, timesteps, rows, labels)).slice();
        await web.dispose();
        await native.dispose();
        expect(maxAbsDiff(ours, theirs)).toBeLessThan(1e-6);
        // ε = x·(0.5 + t/2000) + y/20 at each row's first pixel, the null class for −1.
        for (let row = 0; row < rows; row++) {
          const label = labels[row]! < 0 ? (nullClass ?? -1) : labels[row]!;
          expect(ours[row * SIZE * SIZE]).toBeCloseTo(x[row * SIZE * SIZE]! * (0.5 + timesteps[row]! / 2000) + label / 20, 6);
        }
      }
    });
  }
});

/** The native CLI's samples.npy for the stand-in with these flags (no config file: the card gives geometry and classes). */
async function nativeSamples(flags: string[]): Promise<Float32Array> {
  const out = tempDirSync();
  const result = await runCli(['sample', '--weights', STANDIN, ...flags, '--save_dir', out, '--save_npy', '--quiet']);
  expect(result.stderr).toBe('');
  expect(result.exitCode).toBe(0);
  expect(JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')).model.providers).toEqual(['cpu']);
  return parseNpy(readFileSync(join(out, 'samples.npy'))).data as Float32Array;
}

describe('createWebPipeline with a conditional model', () => {
  // No classes in the config: they come from the card in the bytes. η 0.5 and no clipping,
  // so the noise and every guided ε reach the images (clipped stand-in samples sit at ±1).
  const base = {
    seed: 7,
    data: { img_size: 16, img_channels: 3 },
    diffusion: { params: { skip_steps: 10, eta: 0.5, clip_denoised: false } },
    sampler: { n_samples: 3, guidance_scale: 3 },
  };
  const flags = ['--seed', '7', '--skip_steps', '10', '--ddim_eta', '0.5', 'diffusion.params.clip_denoised=false', '--guidance_scale', '3'];

  test('samples a class by name with guidance as the native CLI does; another class gives other images', async () => {
    const warnings: string[] = [];
    const pipeline = await createWebPipeline({ config: { ...base, sampler: { ...base.sampler, class: 'cat' } }, model: new Uint8Array(readFileSync(STANDIN)), onWarning: (m) => warnings.push(m) });
    try {
      expect(pipeline.model.info.providers).toEqual(['wasm']);
      expect(pipeline.config.data.class_names?.[3]).toBe('cat');
      const cat = memorySink();
      await pipeline.run({ sink: cat });
      const native = await nativeSamples([...flags, '--class', 'cat', '--n_samples', '3']);
      const difference = maxAbsDiff(cat.samples, native);
      console.log(`createWebPipeline --class cat -s 3 vs native CLI: max difference ${difference.toExponential(2)}`);
      expect(difference).toBeLessThanOrEqual(WEB_SAMPLES_LIMIT);
      expect(cat.samples.some((v) => Math.abs(v) < 0.99)).toBe(true);
      const ship = memorySink();
      await pipeline.run({ sink: ship, config: configFromObject({ ...base, sampler: { ...base.sampler, class: 'ship' } }) });
      expect(maxAbsDiff(ship.samples, cat.samples)).toBeGreaterThan(0.01);
    } finally {
      await pipeline.dispose();
    }
    expect(warnings).toEqual([]);
  }, 120_000);

  test('n_samples_each_class: one image of every class, class-major, as the native CLI', async () => {
    const config = { ...base, sampler: { guidance_scale: 3, n_samples_each_class: 1 } };
    const pipeline = await createWebPipeline({ config, model: new Uint8Array(readFileSync(STANDIN)) });
    const sink = memorySink();
    try {
      await pipeline.run({ sink });
    } finally {
      await pipeline.dispose();
    }
    const native = await nativeSamples([...flags, '--n_samples_each_class', '1']);
    expect(native.length).toBe(10 * 3 * 16 * 16);
    const difference = maxAbsDiff(sink.samples, native);
    console.log(`createWebPipeline n_samples_each_class 1 -s 3 vs native CLI: max difference ${difference.toExponential(2)}`);
    expect(difference).toBeLessThanOrEqual(WEB_SAMPLES_LIMIT);
  }, 120_000);

  test('a class the card does not name is the one-line error the CLI gives', async () => {
    const config = { ...base, sampler: { ...base.sampler, class: 'sneaker' } };
    const run = async () => {
      const pipeline = await createWebPipeline({ config, model: new Uint8Array(readFileSync(STANDIN)) });
      try {
        await pipeline.run({ sink: memorySink() });
      } finally {
        await pipeline.dispose();
      }
    };
    await expect(run()).rejects.toThrow(/expected a class 0\.\.9 \(airplane, .*truck\)/);
  });
});
