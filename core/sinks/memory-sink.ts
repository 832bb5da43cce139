/** Results kept in memory (the server, tests, library callers). */
import type { ResultSink, RunInfo, RunSummary } from '../run-types.ts';

export interface MemorySink extends ResultSink {
  readonly info: RunInfo | undefined;
  readonly summary: RunSummary | undefined;
  /** One PNG per item, in item order. */
  readonly pngs: Uint8Array[];
  /** All samples (count · prod(itemShape)), filled as batches arrive. */
  readonly samples: Float32Array;
  readonly latents: Float32Array | undefined;
}

export function memorySink(): MemorySink {
  let samples = new Float32Array(0);
  let latents: Float32Array | undefined;
  const sink: MemorySink = {
    info: undefined,
    summary: undefined,
    pngs: [],
    get samples() {
      return samples;
    },
    get latents() {
      return latents;
    },
    begin(info) {
      (sink as { info?: RunInfo }).info = info;
      const itemSize = info.plan.itemShape.reduce((a, b) => a * b, 1);
      samples = new Float32Array(info.plan.count * itemSize);
      const { channels, height, width } = info.shape;
      if (info.plan.latents) latents = new Float32Array(info.plan.count * channels * height * width);
    },
    isDone: () => false,
    async write(batch, pngs) {
      samples.set(batch.samples, batch.start * (batch.samples.length / batch.count));
      if (latents && batch.latents) latents.set(batch.latents, batch.start * (batch.latents.length / batch.count));
      pngs.forEach((png, i) => (sink.pngs[batch.start + i] = png));
    },
    async finish(summary) {
      (sink as { summary?: RunSummary }).summary = summary;
    },
    async abort() {},
  };
  return sink;
}
