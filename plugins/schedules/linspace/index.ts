import { UserError, allTimesteps, defineSchedule, linspace as linspaceOf, roundHalfEven } from '../../../core/plugin-api.ts';

/** Evenly spaced over the whole range, both ends included: round(linspace(0, T − 1, N)). */
export const linspace = defineSchedule({
  name: 'linspace',
  description: 'evenly spaced including both ends: round(linspace(0, T - 1, N))',
  timesteps({ totalSteps, steps }) {
    if (steps === undefined) return allTimesteps(totalSteps);
    if (steps > totalSteps) throw new UserError(`skip_steps: expected at most total_steps (${totalSteps}), got ${steps}`);
    return linspaceOf(0, totalSteps - 1, steps).map(roundHalfEven);
  },
});

export default linspace;
