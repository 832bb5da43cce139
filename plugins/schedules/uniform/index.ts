import { UserError, allTimesteps, defineSchedule } from '../../../core/plugin-api.ts';

/** The reference's `uniform`: range(0, T, T // N), so N steps may yield a few more entries. */
export const uniform = defineSchedule({
  name: 'uniform',
  description: 'every (T // N)-th timestep from 0: range(0, T, T // N)',
  timesteps({ totalSteps, steps }) {
    if (steps === undefined) return allTimesteps(totalSteps);
    if (steps > totalSteps) throw new UserError(`skip_steps: expected at most total_steps (${totalSteps}), got ${steps}`);
    const stride = Math.floor(totalSteps / steps);
    const out: number[] = [];
    for (let t = 0; t < totalSteps; t += stride) out.push(t);
    return out;
  },
});

export default uniform;
