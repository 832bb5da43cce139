/**
 * How far two runs' samples are apart, and how far the web backend (onnxruntime-web) may be
 * from the native one (onnxruntime-node) for sampled images: the native backend's limit for
 * the sample and interpolate parity cases (test/parity.test.ts), which both backends meet.
 */
import { expect } from 'bun:test';

export const WEB_SAMPLES_LIMIT = 2.5e-4;

/** The largest |a[i] − b[i]|; the lengths must agree. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}
