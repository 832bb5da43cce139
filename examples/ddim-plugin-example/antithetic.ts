/**
 * The `antithetic` mode: each item is a pair, the sample drawn from x_T and the one drawn from
 * −x_T, side by side in one PNG. With eta = 0 DDIM maps noise to images deterministically, so
 * the pair shows where the opposite starting point leads. It drives the shared sampler and
 * never reimplements the update.
 */
import { type ModeBatch, clampUnit, defineMode } from 'ddim-toolkit';

export const antithetic = defineMode({
  name: 'antithetic',
  description: 'pairs: the sample from x_T next to the sample from −x_T',
  plan({ nSamples, shape, steps }) {
    return {
      count: nSamples,
      itemShape: [2, shape.channels, shape.height, shape.width],
      framesPerItem: 2,
      latents: false,
      // Two rows go through the model per item: the server admits requests by this.
      cost: { rowsPerItem: 2, callsPerRow: steps },
    };
  },
  async *run(context, plan): AsyncGenerator<ModeBatch> {
    const { sampler } = context;
    const size = sampler.sampleSize;
    // Whole pairs per model call: as many as micro_batch rows allow, at least one.
    const pairsPerBatch = Math.max(1, Math.floor(context.microBatch / 2));
    const x = new Float32Array(Math.min(pairsPerBatch, plan.count) * 2 * size);
    const streams = new Int32Array(x.length / size);
    for (let start = 0; start < plan.count; start += pairsPerBatch) {
      const pairs = Math.min(pairsPerBatch, plan.count - start);
      if (context.isDone(start, pairs)) continue; // a resumed run keeps what it has
      for (let p = 0; p < pairs; p++) {
        const item = start + p;
        const first = 2 * p * size;
        context.initialNoise(x, first, item);
        for (let j = 0; j < size; j++) x[first + size + j] = -x[first + j]!;
        // The first row takes the per-step noise (eta > 0) of the `sample` mode's item, so it
        // is the very image `sample` draws; the mirror takes a stream past every item's.
        streams[2 * p] = item;
        streams[2 * p + 1] = plan.count + item;
      }
      await sampler.sample(x, 2 * pairs, { streams, domain: 0 });
      yield { start, count: pairs, samples: clampUnit(x.slice(0, 2 * pairs * size)) };
    }
  },
});

export default antithetic;
