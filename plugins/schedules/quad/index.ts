import { UserError, allTimesteps, defineSchedule, linspace } from '../../../core/plugin-api.ts';

/** The reference's `quad`: floor(linspace(0, √(0.8·T), N)²), dense near t = 0. */
export const quad = defineSchedule({
  name: 'quad',
  description: 'quadratically spaced: floor(linspace(0, sqrt(0.8 T), N)^2)',
  timesteps({ totalSteps, steps }) {
    if (steps === undefined) return allTimesteps(totalSteps);
    if (steps > totalSteps) throw new UserError(`skip_steps: expected at most total_steps (${totalSteps}), got ${steps}`);
    return linspace(0, Math.sqrt(totalSteps * 0.8), steps).map((s) => Math.floor(s * s));
  },
});

export default quad;
