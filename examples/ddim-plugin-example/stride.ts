/**
 * The `stride` schedule: every `stride`-th timestep counted down from the last one (T−1,
 * T−1−stride, ...), so that sampling starts from pure noise whatever the stride. It ignores
 * skip_steps: the stride alone sets the number of steps, ⌈T / stride⌉.
 */
import * as v from 'valibot';
import { defineSchedule } from 'ddim-toolkit';

// Strict: a misspelt key (`strid: 5`) is an error, not a silent default.
const options = v.strictObject({
  stride: v.optional(v.pipe(v.number(), v.integer('stride must be an integer'), v.minValue(1, 'stride must be >= 1')), 20),
});

/** The options as the schedule receives them: the schema's output, so the type is written once. */
export type StrideOptions = v.InferOutput<typeof options>;

export const stride = defineSchedule({
  name: 'stride',
  description: 'every `stride`-th timestep down from T−1 (sampler.options.stride.stride, default 20)',
  options,
  timesteps({ totalSteps, options }) {
    const out: number[] = [];
    for (let t = totalSteps - 1; t >= 0; t -= options.stride) out.push(t);
    return out.reverse(); // ascending, each in [0, T)
  },
});

export default stride;
