import { defineSchedule, skipOrAll, torchLinspaceFloat32 } from '../../../core/plugin-api.ts';

/**
 * `quad` as the original code base computes it, in PyTorch's float32:
 * floor(linspace(0, √(0.8·T), N)²). `quad` does the same sum in float64 (the parity
 * references were made that way); the two differ by one at some points (T = 10, N = 2: 7 here, 8 there).
 */
export const quadFloat32 = defineSchedule({
  name: 'quad-float32',
  description: 'quad in float32 as PyTorch computes it: floor(linspace(0, sqrt(0.8 T), N)^2)',
  timesteps: ({ totalSteps, steps }) =>
    skipOrAll(totalSteps, steps, (T, N) => torchLinspaceFloat32(0, Math.sqrt(T * 0.8), N).map((s) => Math.floor(Math.fround(s * s)))),
});

export default quadFloat32;
