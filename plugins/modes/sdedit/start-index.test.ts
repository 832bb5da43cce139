import { describe, expect, test } from 'bun:test';
import { startIndex } from './start-index.ts';

const uniform20 = Array.from({ length: 20 }, (_, i) => 50 * i); // 0, 50, …, 950
const uneven = [0, 12, 50, 113, 200];

describe('startIndex', () => {
  test('is the largest index with t_k ≤ strength·T', () => {
    expect(startIndex(uniform20, 0.5, 1000)).toBe(10); // t = 500 ≤ 500
    expect(startIndex(uniform20, 0.499, 1000)).toBe(9); // 499 < 500
    expect(startIndex(uniform20, 0.3, 1000)).toBe(6);
    expect(startIndex(uneven, 0.1, 1000)).toBe(2); // 50 ≤ 100 < 113
  });

  test('strength 1 starts at the last timestep, as a full pass does', () => {
    expect(startIndex(uniform20, 1, 1000)).toBe(19);
    expect(startIndex(uneven, 1, 1000)).toBe(4);
  });

  test('reads a decimal strength as written, whatever its binary rounding', () => {
    const hundred = Array.from({ length: 100 }, (_, i) => i);
    expect(0.57 * 100).toBeLessThan(57);
    expect(startIndex(hundred, 0.57, 100)).toBe(57);
  });

  test('is at least 0, even below the first timestep', () => {
    expect(startIndex(uniform20, 0.001, 1000)).toBe(0);
    expect(startIndex([10, 500], 0.001, 1000)).toBe(0);
  });
});
