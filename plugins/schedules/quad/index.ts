import { defineSchedule, linspace, skipOrAll } from '../../../core/plugin-api.ts';

/** The reference's `quad`: floor(linspace(0, √(0.8·T), N)²), dense near t = 0. */
export const quad = defineSchedule({
  name: 'quad',
  description: 'quadratically spaced: floor(linspace(0, sqrt(0.8 T), N)^2)',
  timesteps: ({ totalSteps, steps }) =>
    skipOrAll(totalSteps, steps, (T, N) => linspace(0, Math.sqrt(T * 0.8), N).map((s) => Math.floor(s * s))),
});

export default quad;
