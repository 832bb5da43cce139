import { describe, expect, test } from 'bun:test';
import { lowPass, replaceLowPass } from './low-pass.ts';

const shape = { channels: 2, height: 8, width: 8, factor: 4 };
const SIZE = 2 * 8 * 8;

/** Deterministic values in [−1, 1). */
function random(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => {
    const h = Math.sin(12.9898 * i + 78.233 * seed) * 43758.5453;
    return 2 * (h - Math.floor(h)) - 1;
  });
}

describe('lowPass', () => {
  test('replaces each N×N block by its mean', () => {
    const x = new Float32Array(SIZE);
    x[0] = 16; // top-left block of the first plane
    x[64 + 8 * 7 + 7] = -16; // bottom-right block of the second plane
    const out = new Float32Array(SIZE);
    lowPass(x, out, 1, shape);
    expect(out[0]).toBe(1);
    expect(out[8 * 3 + 3]).toBe(1);
    expect(out[4]).toBe(0);
    expect(out[64 + 8 * 4 + 4]).toBe(-1);
    expect(out[64]).toBe(0);
  });

  test('is a projection: φ(φ(x)) = φ(x)', () => {
    const x = random(3 * SIZE, 1);
    const once = new Float32Array(x.length);
    const twice = new Float32Array(x.length);
    lowPass(x, once, 3, shape);
    lowPass(once, twice, 3, shape);
    for (let i = 0; i < x.length; i++) expect(twice[i]).toBeCloseTo(once[i]!, 6);
  });
});

describe('replaceLowPass', () => {
  test("gives x the target's low-pass and keeps x's high-pass", () => {
    const x = random(3 * SIZE, 2);
    const target = random(3 * SIZE, 3);
    const highBefore = new Float32Array(x.length);
    lowPass(x, highBefore, 3, shape);
    for (let i = 0; i < x.length; i++) highBefore[i] = x[i]! - highBefore[i]!;
    replaceLowPass(x, target, 3, shape);
    const low = new Float32Array(x.length);
    const targetLow = new Float32Array(x.length);
    lowPass(x, low, 3, shape);
    lowPass(target, targetLow, 3, shape);
    for (let i = 0; i < x.length; i++) {
      expect(low[i]).toBeCloseTo(targetLow[i]!, 5);
      expect(x[i]! - low[i]!).toBeCloseTo(highBefore[i]!, 5);
    }
  });

  test('with factor 1 copies the target', () => {
    const x = random(SIZE, 4);
    const target = random(SIZE, 5);
    replaceLowPass(x, target, 1, { ...shape, factor: 1 });
    for (let i = 0; i < SIZE; i++) expect(x[i]).toBeCloseTo(target[i]!, 6);
  });
});
