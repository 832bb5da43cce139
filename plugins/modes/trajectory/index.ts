import * as v from 'valibot';
import { type ModeBatch, clampUnit, defineMode } from '../../../core/plugin-api.ts';

/** The `sample` mode's noise domain: the same draws, so the last frame is `sample`'s image. */
const SAMPLE_NOISE_DOMAIN = 0;
/** Frame values one micro-batch may hold (128 MiB of float32): long runs take fewer items per model call. */
const MAX_FRAME_VALUES = 1 << 25;

const options = v.strictObject({
  /** Keep the x0 prediction of every k-th step, and always the last. */
  every: v.optional(
    v.pipe(
      v.number(),
      v.integer('every must be an integer >= 1 (keep every k-th step)'),
      v.minValue(1, 'every must be an integer >= 1 (keep every k-th step)'),
    ),
    1,
  ),
});

/** Frames kept of `steps` steps: steps every, 2·every, ... and the last. */
export function keptFrames(steps: number, every: number): number {
  return Math.ceil(steps / every);
}

/**
 * The predicted x0 after every step of one DDIM pass, as one framed row per sample (the
 * figures of the DDIM paper). x_T and the per-step noise are `sample`'s, so the last frame
 * is the image `sample` draws for the same seed and index.
 */
export type TrajectoryOptions = v.InferOutput<typeof options>;

export const trajectory = defineMode({
  name: 'trajectory',
  description: "the x0 prediction after every step (or every k-th) of n_samples `sample` runs, one row per sample",
  reads: ['class', 'classes', 'guidance_scale', 'n_samples_each_class'],
  options,
  plan({ nSamples, shape, steps, options }) {
    const frames = keptFrames(steps, options.every);
    return {
      count: nSamples,
      itemShape: [frames, shape.channels, shape.height, shape.width],
      framesPerItem: frames,
      latents: false,
      cost: { rowsPerItem: 1, callsPerRow: steps },
    };
  },
  async *run(context, plan): AsyncGenerator<ModeBatch> {
    const { sampler } = context;
    const size = sampler.sampleSize;
    const steps = sampler.timesteps.length;
    const every = context.options.every;
    const frames = plan.framesPerItem;
    const perBatch = Math.max(1, Math.min(context.microBatch, Math.floor(MAX_FRAME_VALUES / (frames * size))));
    const capacity = Math.min(perBatch, plan.count);
    const x = new Float32Array(capacity * size);
    const kept = new Float32Array(capacity * frames * size);
    const streams = new Int32Array(capacity);
    const labels = new Int32Array(capacity);
    for (let start = 0; start < plan.count; start += perBatch) {
      const count = Math.min(perBatch, plan.count - start);
      if (context.isDone(start, count)) continue;
      for (let s = 0; s < count; s++) {
        streams[s] = start + s;
        labels[s] = context.classOf(start + s);
        context.initialNoise(x, s * size, start + s);
      }
      await sampler.sample(x, count, {
        streams,
        labels,
        domain: SAMPLE_NOISE_DOMAIN,
        onStep: ({ index, x0 }) => {
          const done = steps - index;
          if (done % every !== 0 && index !== 0) return;
          const frame = index === 0 ? frames - 1 : done / every - 1;
          for (let s = 0; s < count; s++) {
            const to = (s * frames + frame) * size;
            for (let j = 0, from = s * size; j < size; j++, from++) kept[to + j] = x0[from]!;
          }
        },
      });
      yield { start, count, samples: clampUnit(kept.slice(0, count * frames * size)) };
    }
  },
});

export default trajectory;
