/** Beta schedules and ᾱ, as the reference sampler computes them. */

export type BetaSchedule = 'linear' | 'quad' | 'cosine' | 'const';
export const BETA_SCHEDULES: readonly BetaSchedule[] = ['linear', 'quad', 'cosine', 'const'];

export interface BetaParams {
  readonly totalSteps: number;
  readonly betaSchedule: BetaSchedule;
  readonly betaStart: number;
  readonly betaEnd: number;
  /** Explicit β list; wins over the named schedule when given. */
  readonly betas?: readonly number[];
}

function linspace(start: number, end: number, n: number): Float64Array {
  const out = new Float64Array(n);
  if (n === 1) {
    out[0] = start;
    return out;
  }
  const step = (end - start) / (n - 1);
  // Same two-sided form as numpy/torch linspace, so the last entry is exactly `end`.
  const half = n >> 1;
  for (let i = 0; i < n; i++) out[i] = i < half ? start + step * i : end - step * (n - 1 - i);
  return out;
}

function cosineAlphaBar(s: number): number {
  return Math.cos(((s + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
}

/** β_1..β_T in float64. */
export function betaSchedule(params: BetaParams): Float64Array {
  const { totalSteps: T, betaStart, betaEnd } = params;
  if (params.betas) return Float64Array.from(params.betas);
  switch (params.betaSchedule) {
    case 'linear':
      return linspace(betaStart, betaEnd, T);
    case 'quad':
      return linspace(Math.sqrt(betaStart), Math.sqrt(betaEnd), T).map((b) => b * b);
    case 'cosine': {
      const out = new Float64Array(T);
      for (let i = 0; i < T; i++) out[i] = Math.min(1 - cosineAlphaBar((i + 1) / T) / cosineAlphaBar(i / T), 0.999);
      return out;
    }
    case 'const':
      return new Float64Array(T).fill(betaEnd);
  }
}

/** The forward process of a model: its βs and the ᾱ the engine steps with, both indexed by t = 0..T−1. */
export interface DiffusionChain {
  /** β_t in float64, as the beta schedule (or the config's list) gives them. */
  readonly betas: Float64Array;
  /** ᾱ_t = Π_{s≤t}(1 − β_s), accumulated in float64, then rounded to float32 like the reference. */
  readonly alphasCumprod: Float32Array;
}

export function diffusionChain(params: BetaParams): DiffusionChain {
  const betas = betaSchedule(params);
  const alphas = new Float32Array(betas.length);
  let product = 1;
  for (let i = 0; i < betas.length; i++) {
    product *= 1 - betas[i]!;
    alphas[i] = product;
  }
  return { betas, alphasCumprod: alphas };
}

/** ᾱ_t = Π(1 − β) accumulated in float64, then rounded to float32 like the reference. */
export function alphasCumprod(params: BetaParams): Float32Array {
  return diffusionChain(params).alphasCumprod;
}
