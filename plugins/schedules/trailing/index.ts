import { UserError, allTimesteps, defineSchedule, roundHalfEven } from '../../../core/plugin-api.ts';

/**
 * Evenly spaced and ending at T − 1 (Lin et al. 2024, "Common Diffusion Noise Schedules
 * and Sample Steps are Flawed"): round(arange(T, 0, −T/N)) − 1, ascending.
 */
export const trailing = defineSchedule({
  name: 'trailing',
  description: 'evenly spaced ending at T - 1: round(arange(T, 0, -T/N)) - 1',
  timesteps({ totalSteps, steps }) {
    if (steps === undefined) return allTimesteps(totalSteps);
    if (steps > totalSteps) throw new UserError(`skip_steps: expected at most total_steps (${totalSteps}), got ${steps}`);
    const stride = totalSteps / steps;
    const out: number[] = [];
    for (let i = 0; i < steps; i++) out.push(roundHalfEven(totalSteps - i * stride) - 1);
    return out.reverse();
  },
});

export default trailing;
