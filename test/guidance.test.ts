/**
 * Classifier-free guidance in the sampler, on the exported stand-in of the original's
 * conditional network: one model call of 2B rows per step (rows with and without each
 * item's class), one row at s = 0 and s = 1; results that do not depend on micro_batch or
 * on sharing calls with other requests; class-major items; classes in every built-in mode
 * and from a plugin mode.
 */
import { describe, expect, test } from 'bun:test';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { StepScheduler } from '../core/model/step-scheduler.ts';
import { type DiffusionModel, configFromObject, createDefaultRegistry, createPipeline, defineMode, memorySink } from '../index.ts';
import { encodePng } from '../core/io/png.ts';
import { loadOnnxModel } from '../core/model/backends.ts';
import { ROOT, tempDirSync } from './support/fixtures.ts';

const MODEL = join(ROOT, 'test/fixtures/conditional/standin.onnx');
const SIZE = 16;
const STEPS = 4;

interface Call {
  readonly rows: number;
  readonly labels: number[];
}

/** The stand-in, recording every call's row count and labels. */
async function recordingModel(): Promise<{ model: DiffusionModel; calls: Call[] }> {
  const inner = await loadOnnxModel(MODEL);
  const calls: Call[] = [];
  const model: DiffusionModel = {
    info: inner.info,
    run(x, t, batch, labels) {
      calls.push({ rows: batch, labels: labels ? Array.from(labels).slice(0, batch) : [] });
      return inner.run(x, t, batch, labels);
    },
    dispose: () => inner.dispose(),
  };
  return { model, calls };
}

function config(sampler: Record<string, unknown>, eta = 0) {
  return configFromObject({
    seed: 11,
    data: { img_size: SIZE, img_channels: 3, num_classes: 10 },
    diffusion: { params: { skip_steps: STEPS, eta } },
    sampler: { n_samples: 3, ...sampler },
  });
}

async function run(sampler: Record<string, unknown>, options: { eta?: number; model?: DiffusionModel; register?: Parameters<ReturnType<typeof createDefaultRegistry>['register']> } = {}) {
  const registry = createDefaultRegistry();
  if (options.register) registry.register(...options.register);
  const pipeline = await createPipeline(config(sampler, options.eta), { registry, model: options.model ?? (await loadOnnxModel(MODEL)) });
  const sink = memorySink();
  await pipeline.run({ sink });
  if (!options.model) await pipeline.model.dispose();
  return sink.samples;
}

describe('guided sampling', () => {
  test('s = 3 makes one call of 2B rows per step: the classes, then the null class', async () => {
    const { model, calls } = await recordingModel();
    // The probe of the sampler's batch-invariance check is not made here: every call is a step.
    await run({ class: 3, guidance_scale: 3 }, { model });
    await model.dispose();
    expect(calls.length).toBe(STEPS);
    for (const call of calls) expect(call).toEqual({ rows: 6, labels: [3, 3, 3, -1, -1, -1] });
  });

  test('s = 1 runs only the conditional rows and s = 0 only unconditional ones', async () => {
    for (const [scale, labels] of [[1, [3, 3, 3]], [0, [-1, -1, -1]]] as const) {
      const { model, calls } = await recordingModel();
      await run({ class: 3, guidance_scale: scale }, { model });
      await model.dispose();
      expect(calls.length).toBe(STEPS);
      for (const call of calls) expect(call).toEqual({ rows: 3, labels: [...labels] });
    }
  });

  test('guidance changes the samples, and s = 0 does not depend on the class', async () => {
    const guided = await run({ class: 3, guidance_scale: 3 });
    const conditional = await run({ class: 3, guidance_scale: 1 });
    const other = await run({ class: 4, guidance_scale: 1 });
    const none3 = await run({ class: 3, guidance_scale: 0 });
    const none4 = await run({ class: 4, guidance_scale: 0 });
    expect([...guided]).not.toEqual([...conditional]);
    expect([...other]).not.toEqual([...conditional]);
    expect([...none3]).toEqual([...none4]);
  });

  test('results are byte-identical across micro_batch (η = 0.5, s = 3)', async () => {
    const whole = await run({ n_samples_each_class: 1, guidance_scale: 3, micro_batch: 10 }, { eta: 0.5 });
    for (const microBatch of [1, 3]) {
      expect([...(await run({ n_samples_each_class: 1, guidance_scale: 3, micro_batch: microBatch }, { eta: 0.5 }))]).toEqual([...whole]);
    }
  });

  test('rows of two requests sharing model calls on a step scheduler give the same bytes as alone', async () => {
    const registry = createDefaultRegistry();
    const inner = await loadOnnxModel(MODEL);
    const pipeline = await createPipeline(config({}, 0.5), { registry, model: inner });
    const alone = async (sampler: Record<string, unknown>) => {
      const sink = memorySink();
      await pipeline.run({ sink, config: config(sampler, 0.5) });
      return sink.samples;
    };
    const requests = [{ class: 2, guidance_scale: 3 }, { class: 7, guidance_scale: 1.5, n_samples: 2 }];
    const expected = [await alone(requests[0]!), await alone(requests[1]!)];
    const scheduler = new StepScheduler(inner, { maxBatch: 7 });
    const shared = await Promise.all(
      requests.map(async (sampler) => {
        const lane = scheduler.lane();
        const sink = memorySink();
        try {
          await pipeline.run({ sink, config: config(sampler, 0.5), model: lane });
        } finally {
          lane.close();
        }
        return sink.samples;
      }),
    );
    await inner.dispose();
    expect(scheduler.stats.sharedCalls).toBeGreaterThan(0);
    expect([...shared[0]!]).toEqual([...expected[0]!]);
    expect([...shared[1]!]).toEqual([...expected[1]!]);
  });

  test('class-major items keep their identity: item i of K per class is the --class run\'s item i', async () => {
    const size = 3 * SIZE * SIZE;
    const perClass = await run({ n_samples_each_class: 2, guidance_scale: 3 });
    expect(perClass.length).toBe(10 * 2 * size);
    const classOne = await run({ class: 1, n_samples: 4, guidance_scale: 3 });
    expect([...perClass.subarray(2 * size, 4 * size)]).toEqual([...classOne.subarray(2 * size, 4 * size)]);
  });
});

describe('classes in the modes', () => {
  const inputDir = tempDirSync();
  mkdirSync(inputDir, { recursive: true });
  const pixels = new Uint8Array(SIZE * SIZE * 3).map((_, i) => (i * 37) % 256);

  test('every built-in mode feeds each item\'s class with its unconditional twin', async () => {
    await Bun.write(join(inputDir, 'a.png'), await encodePng(pixels, SIZE, SIZE, 3));
    await Bun.write(join(inputDir, 'b.png'), await encodePng(pixels.map((v) => 255 - v), SIZE, SIZE, 3));
    const common = { class: 5, guidance_scale: 2, n_samples: 2, input_dir: inputDir, mask: join(inputDir, 'a.png'), n_interpolate: 3 };
    for (const mode of ['sample', 'interpolate', 'sdedit', 'inpaint', 'ilvr', 'trajectory', 'reconstruction']) {
      const { model, calls } = await recordingModel();
      await run({ ...common, mode }, { model });
      await model.dispose();
      expect(calls.length).toBeGreaterThan(0);
      for (const call of calls) {
        const half = call.rows / 2;
        expect(call.labels).toEqual([...Array(half).fill(5), ...Array(half).fill(-1)]);
      }
    }
  });

  test('a plugin mode sets per-item classes through the public contract; the sampler adds the rows', async () => {
    const alternating = defineMode({
      name: 'alternating',
      plan: ({ nSamples, shape }) => ({ count: nSamples, itemShape: [shape.channels, shape.height, shape.width], framesPerItem: 1, latents: false }),
      async *run(context, plan) {
        const size = context.sampler.sampleSize;
        const x = new Float32Array(plan.count * size);
        const streams = Int32Array.from({ length: plan.count }, (_, i) => i);
        const labels = streams.map((i) => i % 2);
        for (let i = 0; i < plan.count; i++) context.initialNoise(x, i * size, i);
        await context.sampler.sample(x, plan.count, { streams, labels, domain: 0 });
        yield { start: 0, count: plan.count, samples: x.map((v) => Math.max(-1, Math.min(1, v))) };
      },
    });
    const { model, calls } = await recordingModel();
    await run({ mode: 'alternating', guidance_scale: 3, n_samples: 3, class: 0 }, { model, register: [alternating] });
    await model.dispose();
    expect(calls.length).toBe(STEPS);
    for (const call of calls) expect(call).toEqual({ rows: 6, labels: [0, 1, 0, -1, -1, -1] });
  });
});
