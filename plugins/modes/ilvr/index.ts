import * as v from 'valibot';
import { type ModeBatch, type SampleStep, UserError, clampUnit, defineMode, pairFrames } from '../../../core/plugin-api.ts';
import { type LowPassShape, replaceLowPass } from './low-pass.ts';

const options = v.strictObject({
  /** N of the low-pass filter φ_N: the side of the blocks whose means follow the reference. */
  factor: v.optional(v.pipe(v.number(), v.integer('expected an integer >= 1 dividing the image side'), v.minValue(1, 'expected an integer >= 1 dividing the image side')), 4),
});

export type IlvrOptions = v.InferOutput<typeof options>;

/** Noise domains of this mode: one per purpose, so no two draws share a key. */
const STEP_NOISE_DOMAIN = 100;
const REFERENCE_NOISE_DOMAIN = 101;

/**
 * ILVR (Choi et al., ICCV 2021) on DDIM: sampling from seeded noise x_T, after every step
 * (x now at t_prev) the low frequencies of x are replaced by those of the reference noised to
 * t_prev, x ← x − φ_N(x) + φ_N(y_{t_prev}), y_{t_prev} ~ q(· | y) drawn afresh for each step.
 * φ_N is box down-sampling by N and nearest up-sampling (see low-pass.ts). The last step,
 * to x_0, is left to the model, as in the authors' code (conditioning for i > range_t = 0):
 * φ_N of the result then lies within a step's change of φ_N of the reference.
 */
export const ilvr = defineMode({
  name: 'ilvr',
  description: 'sample from noise, steering the low-pass (factor N) of every step toward the noised input image (ILVR); PNGs show reference | result',
  reads: ['class', 'classes', 'guidance_scale'],
  startsFrom: 'noise',
  inputs: ['images'],
  options,
  async plan({ nSamples, shape, inputs, steps, options }) {
    const { factor } = options;
    if (shape.height % factor !== 0 || shape.width % factor !== 0) {
      throw new UserError(
        `sampler.options.ilvr.factor: expected an integer >= 1 dividing the image side ${shape.height}` +
          `${shape.width === shape.height ? '' : ` and ${shape.width}`}, got ${factor}`,
        { path: 'sampler.options.ilvr.factor' },
      );
    }
    const source = await inputs();
    return {
      count: Math.min(nSamples, source.count),
      itemShape: [shape.channels, shape.height, shape.width],
      framesPerItem: 2,
      latents: false,
      cost: { rowsPerItem: 1, callsPerRow: steps },
    };
  },
  async *run(context, plan): AsyncGenerator<ModeBatch> {
    const { sampler, microBatch, shape, options } = context;
    const source = await context.inputs();
    const size = sampler.sampleSize;
    const lowPassShape: LowPassShape = { ...shape, factor: options.factor };
    const capacity = Math.min(microBatch, plan.count);
    const references = new Float32Array(capacity * size);
    const noised = new Float32Array(capacity * size);
    const x = new Float32Array(capacity * size);
    const streams = new Int32Array(capacity);
    const labels = new Int32Array(capacity);
    const guide = ({ index, x: current, batch }: SampleStep): void => {
      if (index === 0) return; // x is x_0: left to the model (see above)
      noised.set(references.subarray(0, batch * size));
      sampler.diffuse(noised, batch, index - 1, { streams, domain: REFERENCE_NOISE_DOMAIN });
      replaceLowPass(current, noised, batch, lowPassShape);
    };
    for (let start = 0; start < plan.count; start += microBatch) {
      const count = Math.min(microBatch, plan.count - start);
      if (context.isDone(start, count)) continue;
      await source.read(start, count, references);
      for (let s = 0; s < count; s++) {
        streams[s] = start + s;
        labels[s] = context.classOf(start + s);
        context.initialNoise(x, s * size, start + s);
      }
      await sampler.sample(x, count, { streams, labels, domain: STEP_NOISE_DOMAIN, onStep: guide });
      const samples = clampUnit(x.slice(0, count * size));
      const frames = pairFrames(references, samples, count, size);
      yield { start, count, samples, frames };
    }
  },
});

export default ilvr;
