import { defineSchedule, linspace as linspaceOf, roundHalfEven, skipOrAll } from '../../../core/plugin-api.ts';

/** Evenly spaced over the whole range, both ends included: round(linspace(0, T − 1, N)). */
export const linspace = defineSchedule({
  name: 'linspace',
  description: 'evenly spaced including both ends: round(linspace(0, T - 1, N))',
  timesteps: ({ totalSteps, steps }) => skipOrAll(totalSteps, steps, (T, N) => linspaceOf(0, T - 1, N).map((t) => roundHalfEven(t))),
});

export default linspace;
