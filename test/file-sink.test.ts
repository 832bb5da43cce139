import { expect, test } from 'bun:test';
import { fileURLToPath } from 'node:url';
import { createPipeline, loadConfig, runOptionOverrides, type Pipeline, type ResultSink, type RunInfo } from '../index.ts';
import { runFingerprint } from '../core/sinks/file-sink.ts';

const SHIPPED_CONFIG = fileURLToPath(new URL('../models/ddpm_fashion_mnist.yaml', import.meta.url));

/** What a run hands its sink, taken from a real run stopped before its first step. */
async function runInfoOf(pipeline: Pipeline): Promise<RunInfo> {
  const stop = new Error('stopped at begin');
  let seen: RunInfo | undefined;
  const sink: ResultSink = {
    begin(info) {
      seen = info;
      throw stop;
    },
    isDone: () => false,
    write: async () => {},
    finish: async () => {},
    abort: async () => {},
  };
  await expect(pipeline.run({ sink })).rejects.toBe(stop);
  return seen!;
}

test('a run without a noise file keeps the fingerprint earlier versions wrote', async () => {
  // `bun run ddim sample --n_samples 2000 --skip_steps 1000 --micro_batch 50`: the results
  // table's 1000-step run, whose run.json (written by the first version that resumed runs)
  // recorded 025272f3811d5c4d; such a folder must still resume.
  const config = loadConfig(SHIPPED_CONFIG, { overrides: runOptionOverrides({ n_samples: 2000, skip_steps: 1000, micro_batch: 50 }) });
  const pipeline = await createPipeline(config);
  try {
    const info = await runInfoOf(pipeline);
    expect(info.plan.count).toBe(2000);
    expect(runFingerprint(info)).toBe('025272f3811d5c4d');
    // and it does depend on what decides the pixels
    expect(runFingerprint({ ...info, seed: 1 })).not.toBe('025272f3811d5c4d');
  } finally {
    await pipeline.dispose();
  }
});
