import { type ModeBatch, clampUnit, defineMode } from '../../../core/plugin-api.ts';

/** The reference's default mode: n_samples images from seeded (or given) noise. */
export const sample = defineMode({
  name: 'sample',
  description: 'draw n_samples images',
  reads: ['class', 'classes', 'guidance_scale', 'n_samples_each_class'],
  plan({ nSamples, shape }) {
    return { count: nSamples, itemShape: [shape.channels, shape.height, shape.width], framesPerItem: 1, latents: false };
  },
  async *run(context, plan): AsyncGenerator<ModeBatch> {
    const { sampler, microBatch } = context;
    const size = sampler.sampleSize;
    const x = new Float32Array(Math.min(microBatch, plan.count) * size);
    const streams = new Int32Array(Math.min(microBatch, plan.count));
    const labels = new Int32Array(streams.length);
    for (let start = 0; start < plan.count; start += microBatch) {
      const count = Math.min(microBatch, plan.count - start);
      if (context.isDone(start, count)) continue;
      for (let s = 0; s < count; s++) {
        streams[s] = start + s;
        labels[s] = context.classOf(start + s);
        context.initialNoise(x, s * size, start + s);
      }
      await sampler.sample(x, count, { streams, labels, domain: 0 });
      yield { start, count, samples: clampUnit(x.slice(0, count * size)) };
    }
  },
});

export default sample;
