import { describe, expect, test } from 'bun:test';
import { alphasCumprod, betaSchedule } from './betas.ts';

const base = { totalSteps: 1000, betaStart: 0.0001, betaEnd: 0.02 };

describe('betaSchedule', () => {
  test('linear runs from beta_start to beta_end in equal steps', () => {
    const betas = betaSchedule({ ...base, betaSchedule: 'linear' });
    expect(betas.length).toBe(1000);
    expect(betas[0]).toBe(0.0001);
    expect(betas[999]).toBe(0.02);
    expect(betas[500]! - betas[499]!).toBeCloseTo((0.02 - 0.0001) / 999, 15);
  });

  test('quad is the square of a linspace between the square roots', () => {
    const betas = betaSchedule({ ...base, betaSchedule: 'quad' });
    expect(betas[0]).toBeCloseTo(0.0001, 15);
    expect(betas[999]).toBeCloseTo(0.02, 15);
    const mid = Math.sqrt(0.0001) + ((Math.sqrt(0.02) - Math.sqrt(0.0001)) * 400) / 999;
    expect(betas[400]).toBeCloseTo(mid * mid, 15);
  });

  test('cosine follows the squared-cosine ᾱ and caps β at 0.999', () => {
    const betas = betaSchedule({ ...base, betaSchedule: 'cosine' });
    const f = (s: number) => Math.cos(((s + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
    expect(betas[10]).toBeCloseTo(1 - f(11 / 1000) / f(10 / 1000), 15);
    expect(betas[999]).toBe(0.999);
    expect(Math.max(...betas)).toBeLessThanOrEqual(0.999);
  });

  test('const repeats beta_end and an explicit list wins over the name', () => {
    expect([...betaSchedule({ ...base, totalSteps: 3, betaSchedule: 'const' })]).toEqual([0.02, 0.02, 0.02]);
    expect([...betaSchedule({ ...base, totalSteps: 2, betaSchedule: 'linear', betas: [0.1, 0.2] })]).toEqual([0.1, 0.2]);
  });
});

describe('alphasCumprod', () => {
  test('is the float64 running product of 1 − β, rounded to float32', () => {
    const alphas = alphasCumprod({ ...base, totalSteps: 3, betaSchedule: 'linear', betas: [0.1, 0.2, 0.3] });
    expect(alphas[0]).toBe(Math.fround(0.9));
    expect(alphas[1]).toBe(Math.fround(0.9 * 0.8));
    expect(alphas[2]).toBe(Math.fround(0.9 * 0.8 * 0.7));
  });

  test('decreases monotonically for the linear schedule', () => {
    const alphas = alphasCumprod({ ...base, betaSchedule: 'linear' });
    for (let i = 1; i < alphas.length; i++) expect(alphas[i]!).toBeLessThan(alphas[i - 1]!);
    expect(alphas[999]).toBeLessThan(1e-4);
  });
});
