import { describe, expect, test } from 'bun:test';
import { documentedShuffle } from '../test/support/eval-fixtures.ts';
import { SPLIT_SEED, seededPermutation, splitOfItems } from './split-order.ts';

describe('seededPermutation', () => {
  test('is a permutation of 0..n−1, the same on every call, and another for another seed', () => {
    for (const n of [0, 1, 2, 7, 1000]) {
      const order = seededPermutation(n);
      expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
      expect(seededPermutation(n)).toEqual(order);
    }
    expect(seededPermutation(1000, 7)).not.toEqual(seededPermutation(1000));
    // Shuffled, not the identity: few items keep their place (about 1 expected).
    const order = seededPermutation(1000);
    expect(order.filter((item, position) => item === position).length).toBeLessThan(10);
  });

  test('is the Fisher–Yates shuffle the docs describe (Philox4x32-10 draws under key (2020, 0)), written out again', () => {
    expect(SPLIT_SEED).toBe(2020);
    for (const n of [2, 6, 101]) expect([...seededPermutation(n)]).toEqual(documentedShuffle(n));
  });
});

describe('splitOfItems', () => {
  test('cuts the shuffled order at ⌊s·N/splits⌋: split s holds the items at those positions', () => {
    const total = 23;
    const splits = 3;
    const order = seededPermutation(total);
    const splitOf = splitOfItems(total, splits);
    const bounds = [0, 7, 15, 23];
    for (let s = 0; s < splits; s++) {
      const members = [...order.subarray(bounds[s]!, bounds[s + 1]!)];
      expect(members.every((item) => splitOf[item] === s)).toBe(true);
    }
    expect(Array.from({ length: splits }, (_, s) => splitOf.filter((x) => x === s).length)).toEqual([7, 8, 8]);
  });

  test('spreads items written in class order (10 per class) over every split', () => {
    const splitOf = splitOfItems(100, 10);
    for (let s = 0; s < 10; s++) {
      const classes = new Set(Array.from({ length: 100 }, (_, i) => i).filter((i) => splitOf[i] === s).map((i) => Math.floor(i / 10)));
      expect(classes.size).toBeGreaterThan(3);
    }
  });
});
