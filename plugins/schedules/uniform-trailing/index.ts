import { defineSchedule, skipOrAll } from '../../../core/plugin-api.ts';

/**
 * The current code base's `uniform-trailing`: every (T // N)-th timestep counted down from
 * T − 1, ascending. Like `uniform`, N steps may yield a few more entries (T = 1000, N = 3: four,
 * down to 0); `trailing` is the rounded, exactly-N variant of Lin et al.
 */
export const uniformTrailing = defineSchedule({
  name: 'uniform-trailing',
  description: 'every (T // N)-th timestep down from T - 1: arange(T - 1, -1, -(T // N)), ascending',
  timesteps: ({ totalSteps, steps }) =>
    skipOrAll(totalSteps, steps, (T, N) => {
      const stride = Math.floor(T / N);
      const out: number[] = [];
      for (let t = T - 1; t >= 0; t -= stride) out.push(t);
      return out.reverse();
    }),
});

export default uniformTrailing;
