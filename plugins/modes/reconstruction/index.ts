import { type ModeBatch, clampUnit, defineMode, pairFrames } from '../../../core/plugin-api.ts';

/** DDIM inversion of real images to latents, then DDIM sampling back; PNGs show input | reconstruction. */
export const reconstruction = defineMode({
  name: 'reconstruction',
  description: 'invert the first n_samples input images with DDIM, then sample them back',
  reads: ['class', 'classes', 'guidance_scale'],
  startsFrom: 'images',
  inputs: ['images'],
  async plan({ nSamples, shape, inputs, steps }) {
    const source = await inputs();
    return {
      count: Math.min(nSamples, source.count),
      itemShape: [shape.channels, shape.height, shape.width],
      framesPerItem: 2,
      latents: true,
      // Inversion visits every timestep but the last, then sampling all of them.
      cost: { rowsPerItem: 1, callsPerRow: 2 * steps - 1 },
    };
  },
  async *run(context, plan): AsyncGenerator<ModeBatch> {
    const { sampler, microBatch } = context;
    const source = await context.inputs();
    const size = sampler.sampleSize;
    const capacity = Math.min(microBatch, plan.count);
    const originals = new Float32Array(capacity * size);
    const x = new Float32Array(capacity * size);
    const streams = new Int32Array(capacity);
    const labels = new Int32Array(capacity);
    for (let start = 0; start < plan.count; start += microBatch) {
      const count = Math.min(microBatch, plan.count - start);
      if (context.isDone(start, count)) continue;
      await source.read(start, count, originals);
      x.set(originals.subarray(0, count * size));
      for (let s = 0; s < count; s++) {
        streams[s] = start + s;
        labels[s] = context.classOf(start + s);
      }
      await sampler.invert(x, count, labels);
      const latents = x.slice(0, count * size);
      await sampler.sample(x, count, { streams, labels, domain: 2 });
      const samples = clampUnit(x.slice(0, count * size));
      const frames = pairFrames(originals, samples, count, size);
      yield { start, count, samples, frames, latents };
    }
  },
});

export default reconstruction;
