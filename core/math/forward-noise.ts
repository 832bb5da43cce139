/**
 * The forward process, for modes that put known content at a step's noise level
 * (SDEdit, inpainting, ILVR): q(x_t | x_s) = N(√(ᾱ_t/ᾱ_s)·x_s, (1 − ᾱ_t/ᾱ_s)·I), which
 * for s = 0 (ᾱ_0 taken as 1) is q(x_t | x_0). Rounded to float32 like the DDIM step.
 */
const f32 = Math.fround;

/** The two scalars of q(x_t | x_s): out = scale·x + spread·ε. */
export function forwardCoefficients(alphaTo: number, alphaFrom = 1): { scale: number; spread: number } {
  const ratio = f32(alphaTo / alphaFrom);
  return { scale: f32(Math.sqrt(ratio)), spread: f32(Math.sqrt(Math.max(f32(1 - ratio), 0))) };
}

/** out[i] = scale·x[i] + spread·ε[i] for the first `length` values (out may be x). */
export function applyForward(scale: number, spread: number, x: Float32Array, noise: Float32Array, out: Float32Array, length: number): void {
  for (let i = 0; i < length; i++) out[i] = f32(f32(scale * x[i]!) + f32(spread * noise[i]!));
}
