import { defineSchedule, skipOrAll, torchLinspaceFloat32 } from '../../../core/plugin-api.ts';

/**
 * The current code base's `uniform-linspace`: linspace(0, T − 1, N) in float32, truncated.
 * Unlike `linspace` (rounded, float64), so it can land one below: T = 100, N = 56 differs.
 */
export const uniformLinspace = defineSchedule({
  name: 'uniform-linspace',
  description: 'evenly spaced including both ends, truncated as PyTorch does: linspace(0, T - 1, N).long() in float32',
  timesteps: ({ totalSteps, steps }) => skipOrAll(totalSteps, steps, (T, N) => torchLinspaceFloat32(0, T - 1, N).map((t) => Math.trunc(t))),
});

export default uniformLinspace;
