/** Small helpers for schedule plugins. */
import { UserError } from './errors.ts';

/** Every timestep 0..T−1: what any schedule returns when no skip_steps is given. */
export function allTimesteps(totalSteps: number): number[] {
  return Array.from({ length: totalSteps }, (_, i) => i);
}

/** numpy.linspace in float64 (both ends included). */
export function linspace(start: number, end: number, n: number): number[] {
  if (n === 1) return [start];
  const step = (end - start) / (n - 1);
  return Array.from({ length: n }, (_, i) => (i === n - 1 ? end : start + step * i));
}

/** numpy.round: halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * The reference's rule for every built-in schedule: without skip_steps, visit every
 * timestep; with it, `pick(T, N)` chooses, for N in [1, T].
 */
export function skipOrAll(totalSteps: number, steps: number | undefined, pick: (totalSteps: number, steps: number) => number[]): number[] {
  if (steps === undefined) return allTimesteps(totalSteps);
  if (steps > totalSteps) throw new UserError(`skip_steps: expected at most total_steps (${totalSteps}), got ${steps}`, { path: 'diffusion.params.skip_steps' });
  return pick(totalSteps, steps);
}
