import * as v from 'valibot';
import { type ModeBatch, type PlanContext, clampUnit, defineMode, pairFrames } from '../../../core/plugin-api.ts';
import { startIndex } from './start-index.ts';

export { startIndex };

const options = v.strictObject({
  /** How far into the forward process the inputs are pushed, as a fraction of T: (0, 1]. */
  strength: v.optional(
    v.pipe(
      v.number(),
      v.gtValue(0, 'expected a number in (0, 1] (the fraction of T to noise to)'),
      v.maxValue(1, 'expected a number in (0, 1] (the fraction of T to noise to)'),
    ),
    0.5,
  ),
});

export type SdeditOptions = v.InferOutput<typeof options>;

/** Noise domains of this mode: one per purpose, so no two draws share a key. */
const STEP_NOISE_DOMAIN = 10;
const FORWARD_NOISE_DOMAIN = 11;

/** Model calls per item: the k + 1 steps from the start index down. */
function callsPerRow(context: PlanContext<SdeditOptions>): number {
  return startIndex(context.timesteps, context.options.strength, context.config.diffusion.params.total_steps) + 1;
}

/**
 * SDEdit (Meng et al., ICLR 2022) with DDIM: each input image is pushed forward to
 * timestep t_k by q(x_t | x_0) with seeded noise, then denoised from there. The higher the
 * strength, the more of the image is forgotten; PNGs show input | result.
 */
export const sdedit = defineMode({
  name: 'sdedit',
  description: 'noise each input image to strength·T, then denoise it with DDIM (SDEdit); PNGs show input | result',
  reads: ['class', 'classes', 'guidance_scale'],
  startsFrom: 'images',
  inputs: ['images'],
  options,
  async plan(context) {
    const { nSamples, shape, inputs } = context;
    const source = await inputs();
    return {
      count: Math.min(nSamples, source.count),
      itemShape: [shape.channels, shape.height, shape.width],
      framesPerItem: 2,
      latents: false,
      cost: { rowsPerItem: 1, callsPerRow: callsPerRow(context) },
    };
  },
  async *run(context, plan): AsyncGenerator<ModeBatch> {
    const { sampler, microBatch, config, options } = context;
    const source = await context.inputs();
    const size = sampler.sampleSize;
    const from = startIndex(sampler.timesteps, options.strength, config.diffusion.params.total_steps);
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
      sampler.diffuse(x, count, from, { streams, domain: FORWARD_NOISE_DOMAIN });
      await sampler.sample(x, count, { streams, labels, domain: STEP_NOISE_DOMAIN, from });
      const samples = clampUnit(x.slice(0, count * size));
      const frames = pairFrames(originals, samples, count, size);
      yield { start, count, samples, frames };
    }
  },
});

export default sdedit;
