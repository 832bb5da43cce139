import { defineSchedule, roundHalfEven, skipOrAll } from '../../../core/plugin-api.ts';

/**
 * Evenly spaced and ending at T − 1 (Lin et al. 2024, "Common Diffusion Noise Schedules
 * and Sample Steps are Flawed"): round(arange(T, 0, −T/N)) − 1, ascending.
 */
export const trailing = defineSchedule({
  name: 'trailing',
  description: 'evenly spaced ending at T - 1: round(arange(T, 0, -T/N)) - 1',
  timesteps: ({ totalSteps, steps }) =>
    skipOrAll(totalSteps, steps, (T, N) => Array.from({ length: N }, (_, i) => roundHalfEven(T - i * (T / N)) - 1).reverse()),
});

export default trailing;
