import { describe, expect, test } from 'bun:test';
import { fillGaussian, philox4x32 } from './philox.ts';

describe('philox4x32', () => {
  // Known-answer vectors of Philox4x32-10 from the Random123 distribution (kat_vectors).
  test('matches the Random123 known answers', () => {
    const out = new Uint32Array(4);
    philox4x32(0, 0, 0, 0, 0, 0, out);
    expect([...out]).toEqual([0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
    philox4x32(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, out);
    expect([...out]).toEqual([0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]);
    philox4x32(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, out);
    expect([...out]).toEqual([0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]);
  });
});

describe('fillGaussian', () => {
  test('draws standard normal values', () => {
    const n = 200_000;
    const out = new Float32Array(n);
    fillGaussian(out, 0, n, { seed: 7, stream: 0, step: 0 });
    let sum = 0;
    let sq = 0;
    let fourth = 0;
    for (const v of out) {
      sum += v;
      sq += v * v;
      fourth += v ** 4;
    }
    const mean = sum / n;
    const variance = sq / n - mean * mean;
    // Standard errors: 1/√n ≈ 0.0022 for the mean, √(2/n) ≈ 0.0032 for the variance.
    expect(Math.abs(mean)).toBeLessThan(0.011);
    expect(Math.abs(variance - 1)).toBeLessThan(0.016);
    expect(Math.abs(fourth / n - 3)).toBeLessThan(0.1);
  });

  test('depends only on its key, not on where or how much is drawn', () => {
    const long = new Float32Array(100);
    fillGaussian(long, 0, 100, { seed: 3, stream: 5, step: 17 });
    const offset = new Float32Array(150);
    fillGaussian(offset, 50, 100, { seed: 3, stream: 5, step: 17 });
    expect([...offset.subarray(50)]).toEqual([...long]);
    const short = new Float32Array(7);
    fillGaussian(short, 0, 7, { seed: 3, stream: 5, step: 17 });
    expect([...short]).toEqual([...long.subarray(0, 7)]);
  });

  test('gives uncorrelated streams for different samples, steps, domains and seeds', () => {
    const n = 20_000;
    const draw = (key: { seed: number; stream: number; step: number; domain?: number }) => {
      const out = new Float32Array(n);
      fillGaussian(out, 0, n, key);
      return out;
    };
    const base = draw({ seed: 1, stream: 0, step: 0 });
    for (const other of [
      draw({ seed: 1, stream: 1, step: 0 }),
      draw({ seed: 1, stream: 0, step: 1 }),
      draw({ seed: 1, stream: 0, step: 0, domain: 1 }),
      draw({ seed: 2, stream: 0, step: 0 }),
      draw({ seed: 2 ** 32 + 1, stream: 0, step: 0 }),
    ]) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += base[i]! * other[i]!;
      // Correlation of independent normals has standard error 1/√n ≈ 0.007.
      expect(Math.abs(dot / n)).toBeLessThan(0.035);
    }
  });
});
