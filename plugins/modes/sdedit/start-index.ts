/**
 * Where SDEdit starts in the run's ascending timesteps t_0 < … < t_{S−1}: the largest index k
 * with t_k ≤ strength·T, and 0 when even t_0 is above it. Strength 1 starts at the last
 * timestep, as a full pass does; a small strength starts near the image itself. Timesteps are
 * integers, so the bound is floor(strength·T), taken with a little slack so that a decimal
 * strength lands where it reads (0.57·100 is 56.99999999999999 in binary; it means 57).
 */
export function startIndex(timesteps: readonly number[], strength: number, totalSteps: number): number {
  const limit = Math.floor(strength * totalSteps + 1e-9);
  let k = 0;
  for (let i = 1; i < timesteps.length; i++) if (timesteps[i]! <= limit) k = i;
  return k;
}
