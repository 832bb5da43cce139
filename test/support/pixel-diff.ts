/** How far two PNGs of the same size are apart, pixel by pixel (the backends' agreement limit). */
import { expect } from 'bun:test';
import { decodePng } from '../../core/io/png.ts';

export interface PixelDiff {
  /** Samples compared (pixels × channels). */
  pixels: number;
  differing: number;
  largest: number;
}

/** Adds the difference of PNGs a and b to `into` (default: a fresh tally). */
export function pixelDiff(a: Uint8Array, b: Uint8Array, into: PixelDiff = { pixels: 0, differing: 0, largest: 0 }): PixelDiff {
  const x = decodePng(a);
  const y = decodePng(b);
  expect([y.width, y.height, y.channels]).toEqual([x.width, x.height, x.channels]);
  for (let i = 0; i < x.data.length; i++) {
    const d = Math.abs(x.data[i]! - y.data[i]!);
    if (d > 0) into.differing++;
    if (d > into.largest) into.largest = d;
  }
  into.pixels += x.data.length;
  return into;
}

/** The limit the two model backends are held to: at most one level, on at most 0.1% of samples. */
export function expectWithinBackendLimit(diff: PixelDiff, label: string): void {
  console.log(`${label}: ${diff.differing} of ${diff.pixels} samples differ (${((100 * diff.differing) / diff.pixels).toFixed(3)}%), by at most ${diff.largest} level(s)`);
  expect(diff.largest).toBeLessThanOrEqual(1);
  expect(diff.differing / diff.pixels).toBeLessThanOrEqual(0.001);
}
