import { defineSchedule, skipOrAll } from '../../../core/plugin-api.ts';

/** The reference's `uniform`: range(0, T, T // N), so N steps may yield a few more entries. */
export const uniform = defineSchedule({
  name: 'uniform',
  description: 'every (T // N)-th timestep from 0: range(0, T, T // N)',
  timesteps: ({ totalSteps, steps }) =>
    skipOrAll(totalSteps, steps, (T, N) => {
      const stride = Math.floor(T / N);
      const out: number[] = [];
      for (let t = 0; t < T; t += stride) out.push(t);
      return out;
    }),
});

export default uniform;
