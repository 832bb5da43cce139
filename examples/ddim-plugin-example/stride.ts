/**
 * The `stride` schedule: every `stride`-th timestep counted down from the last one (T−1,
 * T−1−stride, ...), so that sampling starts from pure noise whatever the stride. It ignores
 * skip_steps: the stride alone sets the number of steps, ⌈T / stride⌉.
 */
import * as v from 'valibot';
import { defineSchedule } from 'ddim-toolkit';

export interface StrideOptions {
  readonly stride: number;
}

export const stride = defineSchedule<StrideOptions>({
  name: 'stride',
  description: 'every `stride`-th timestep down from T−1 (sampler.options.stride.stride, default 20)',
  // Strict: a misspelt key (`strid: 5`) is an error, not a silent default.
  options: v.strictObject({
    stride: v.optional(v.pipe(v.number(), v.integer('stride must be an integer'), v.minValue(1, 'stride must be >= 1')), 20),
  }),
  timesteps({ totalSteps, options }) {
    const out: number[] = [];
    for (let t = totalSteps - 1; t >= 0; t -= options.stride) out.push(t);
    return out.reverse(); // ascending, each in [0, T)
  },
});

export default stride;
