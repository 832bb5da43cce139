import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { resolve } from 'node:path';
import { AbortedError } from '../errors.ts';
import type { DiffusionModel } from './model.ts';
import { loadOnnxModel } from './onnx-model.ts';
import { fillGaussian } from '../noise/philox.ts';
import { StepScheduler } from './step-scheduler.ts';

const MODEL = resolve(import.meta.dir, '../../models/ddpm_fashion_mnist.onnx');
let model: DiffusionModel;
let size: number;

/** `rows` seeded inputs (distinct per stream), so every row's output is different. */
function inputs(rows: number, stream: number): Float32Array {
  const x = new Float32Array(rows * size);
  for (let r = 0; r < rows; r++) fillGaussian(x, r * size, size, { seed: 11, stream: stream + r, step: 0 });
  return x;
}

/** The model's own answer for each row alone: what a lane must return whatever it was batched with. */
async function solo(x: Float32Array, timesteps: readonly number[]): Promise<Float32Array> {
  const out = new Float32Array(timesteps.length * model.info.outputSize);
  for (let r = 0; r < timesteps.length; r++) {
    const y = await model.run(x.slice(r * size, (r + 1) * size), [timesteps[r]!], 1);
    out.set(y, r * model.info.outputSize);
  }
  return out;
}

beforeAll(async () => {
  model = await loadOnnxModel(MODEL, { expect: { channels: 1, size: 32 } });
  size = model.info.channels * model.info.height * model.info.width;
});
afterAll(() => model.dispose());

describe('StepScheduler', () => {
  test('packs rows of several lanes at different timesteps into one model call, each row getting its own output', async () => {
    const scheduler = new StepScheduler(model, { maxBatch: 8 });
    const a = scheduler.lane();
    const b = scheduler.lane();
    const xa = inputs(2, 0);
    const xb = inputs(3, 10);
    const [ya, yb] = await Promise.all([a.run(xa, Int32Array.of(900, 900), 2), b.run(xb, Int32Array.of(40, 40, 40), 3)]);
    expect(scheduler.stats).toMatchObject({ modelCalls: 1, rows: 5, mixedCalls: 1, sharedCalls: 1, largestBatch: 5 });
    expect(ya).toEqual(await solo(xa, [900, 900]));
    expect(yb).toEqual(await solo(xb, [40, 40, 40]));
    a.close();
    b.close();
    expect(scheduler.stats.lanes).toBe(0);
  });

  test('splits a call larger than max_batch over several model calls', async () => {
    const scheduler = new StepScheduler(model, { maxBatch: 3 });
    const lane = scheduler.lane();
    const x = inputs(7, 3);
    const t = Int32Array.of(5, 500, 999, 5, 500, 999, 250);
    const y = await lane.run(x, t, 7);
    expect(y.length).toBe(7 * model.info.outputSize);
    expect(scheduler.stats).toMatchObject({ modelCalls: 3, rows: 7, largestBatch: 3 });
    expect(y).toEqual(await solo(x, [...t]));
    lane.close();
  });

  test('a cancelled lane rejects with AbortedError, its rows are dropped, and the other lanes still get theirs', async () => {
    const scheduler = new StepScheduler(model, { maxBatch: 2 });
    const controller = new AbortController();
    const doomed = scheduler.lane(controller.signal);
    const other = scheduler.lane();
    const xd = inputs(6, 20);
    const xo = inputs(1, 30);
    const pending = doomed.run(xd, new Int32Array(6).fill(300), 6);
    const kept = other.run(xo, Int32Array.of(700), 1);
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(AbortedError);
    expect(await kept).toEqual(await solo(xo, [700]));
    // The abort came before the scheduler gathered a call: only the other lane's row ran.
    expect(scheduler.stats.rows).toBe(1);
    expect(scheduler.stats.queuedRows).toBe(0);
    await expect(doomed.run(xd, new Int32Array(6), 6)).rejects.toBeInstanceOf(AbortedError);
    other.close();
  });

  test('a model failure rejects the calls in that batch and the scheduler keeps serving', async () => {
    // The real model, made to fail once (as a lost device or an out-of-memory would).
    let failNext = true;
    const flaky: DiffusionModel = {
      info: model.info,
      run: (x, t, batch) => {
        if (!failNext) return model.run(x, t, batch);
        failNext = false;
        return Promise.reject(new Error('device lost'));
      },
      dispose: async () => {},
    };
    const scheduler = new StepScheduler(flaky, { maxBatch: 4 });
    const a = scheduler.lane();
    const b = scheduler.lane();
    const failures = await Promise.allSettled([a.run(inputs(1, 0), Int32Array.of(10), 1), b.run(inputs(2, 1), Int32Array.of(20, 20), 2)]);
    expect(failures.map((f) => f.status)).toEqual(['rejected', 'rejected']);
    expect(String((failures[0] as PromiseRejectedResult).reason)).toContain('device lost');
    const x = inputs(1, 40);
    expect(await a.run(x, Int32Array.of(10), 1)).toEqual(await solo(x, [10]));
    a.close();
    b.close();
  });

  /** The real model, but its first call answers only when `release` is called (never, if not). */
  function heldFirstCall(): { model: DiffusionModel; release: () => void } {
    let release = () => {};
    let first = true;
    const held: DiffusionModel = {
      info: model.info,
      run: (x, t, batch) => {
        if (!first) return model.run(x, t, batch);
        first = false;
        const answer = model.run(x.slice(), Array.from(t), batch).then((out) => out.slice());
        return new Promise((resolve) => (release = () => void answer.then(resolve)));
      },
      dispose: async () => {},
    };
    return { model: held, release: () => release() };
  }

  test('when the request driving the pump ends mid-call and the call never returns, a waiting lane runs its rows again', async () => {
    // As on a Workers runtime, where an ended request's continuations never run.
    const { model: held } = heldFirstCall();
    const scheduler = new StepScheduler(held, { maxBatch: 4 });
    const controller = new AbortController();
    const driver = scheduler.lane(controller.signal);
    const waiting = scheduler.lane();
    const x = inputs(2, 50);
    const cancelled = driver.run(inputs(1, 60), Int32Array.of(100), 1);
    const kept = waiting.run(x, Int32Array.of(400, 800), 2);
    while (scheduler.stats.modelCalls === 0) await Bun.sleep(1);
    controller.abort();
    await expect(cancelled).rejects.toBeInstanceOf(AbortedError);
    expect(await kept).toEqual(await solo(x, [400, 800]));
    expect(scheduler.stats.modelCalls).toBe(2); // the lost call, then its rows again
    const again = inputs(1, 70);
    expect(await waiting.run(again, Int32Array.of(5), 1)).toEqual(await solo(again, [5]));
    waiting.close();
  });

  test('when the request driving the pump ends mid-call and the call does return, the waiting lane takes its answer', async () => {
    const { model: held, release } = heldFirstCall();
    const scheduler = new StepScheduler(held, { maxBatch: 4 });
    const controller = new AbortController();
    const driver = scheduler.lane(controller.signal);
    const waiting = scheduler.lane();
    const x = inputs(1, 80);
    const cancelled = driver.run(inputs(1, 90), Int32Array.of(100), 1);
    const kept = waiting.run(x, Int32Array.of(600), 1);
    while (scheduler.stats.modelCalls === 0) await Bun.sleep(1);
    controller.abort();
    release();
    await expect(cancelled).rejects.toBeInstanceOf(AbortedError);
    expect(await kept).toEqual(await solo(x, [600]));
    expect(scheduler.stats.modelCalls).toBe(1);
    waiting.close();
  });
});
