import { describe, expect, test } from 'bun:test';
import { inceptionScore, inceptionScoreAccumulator } from './inception-score.ts';
import { seededRandom } from '../test/support/eval-fixtures.ts';
import { seededPermutation, splitOfItems } from './split-order.ts';

const CLASSES = 10;

describe('inceptionScore', () => {
  test('is 1 when every prediction is uniform', () => {
    const score = inceptionScore(new Float32Array(200 * CLASSES).fill(0.3), 200, CLASSES);
    expect(score.mean).toBeCloseTo(1, 14);
    expect(score.std).toBeCloseTo(0, 14);
  });

  test('is the number of classes for confident predictions spread evenly over the classes', () => {
    const rows = 100;
    const logits = new Float32Array(rows * CLASSES);
    // The item at shuffled position p names class p mod 10: every split holds one of each class.
    const order = seededPermutation(rows);
    for (let p = 0; p < rows; p++) logits[order[p]! * CLASSES + (p % CLASSES)] = 60;
    const score = inceptionScore(logits, rows, CLASSES, 10);
    expect(score.mean).toBeCloseTo(CLASSES, 9);
    expect(score.scores).toHaveLength(10);
    expect(score.std).toBeLessThan(1e-9);
  });

  test('is 1 for confident predictions that all name the same class', () => {
    const logits = new Float32Array(50 * CLASSES);
    for (let r = 0; r < 50; r++) logits[r * CLASSES + 3] = 60;
    expect(inceptionScore(logits, 50, CLASSES, 5).mean).toBeCloseTo(1, 9);
  });

  test('is exp(KL) worked out by hand for two two-class predictions', () => {
    // p(y|x₁) = (¾, ¼), p(y|x₂) = (¼, ¾), so p(y) = (½, ½) and each KL = ¾ln(3/2) + ¼ln(1/2).
    const logits = [Math.log(0.75), Math.log(0.25), Math.log(0.25), Math.log(0.75)];
    const expected = Math.exp(0.75 * Math.log(1.5) + 0.25 * Math.log(0.5));
    expect(inceptionScore(logits, 2, 2, 1).mean).toBeCloseTo(expected, 14);
  });

  test('scores each split of the seeded shuffle and reports the mean and population std of the split scores', () => {
    const rows = 23;
    const rng = seededRandom(4);
    const logits = Float64Array.from({ length: rows * CLASSES }, () => 3 * rng.normal());
    const splitOf = splitOfItems(rows, 3);
    const parts = [0, 1, 2].map((s) => {
      const members = Array.from({ length: rows }, (_, r) => r).filter((r) => splitOf[r] === s);
      const rowsOf = members.flatMap((r) => Array.from(logits.subarray(r * CLASSES, (r + 1) * CLASSES)));
      return inceptionScore(rowsOf, members.length, CLASSES, 1).mean;
    });
    const mean = parts.reduce((a, b) => a + b, 0) / 3;
    const std = Math.sqrt(parts.reduce((a, b) => a + (b - mean) ** 2, 0) / 3);
    const score = inceptionScore(logits, rows, CLASSES, 3);
    expect(score.scores.map((s, i) => s - parts[i]!).every((d) => Math.abs(d) < 1e-12)).toBe(true);
    expect(score.mean).toBeCloseTo(mean, 12);
    expect(score.std).toBeCloseTo(std, 12);
    expect(score.std).toBeGreaterThan(0);
  });

  test('does not collapse for items in class order: 10 confident items of each class in turn score near 10, not 1', () => {
    // As a class-major sample folder lists them (class0/…, class1/…): with splits cut in file
    // order each split would hold one class and score exactly 1.
    const rows = 100;
    const logits = new Float32Array(rows * CLASSES);
    for (let r = 0; r < rows; r++) logits[r * CLASSES + Math.floor(r / 10)] = 60;
    const score = inceptionScore(logits, rows, CLASSES, 10);
    // Confident predictions: each split scores exp(entropy of its class histogram).
    const splitOf = splitOfItems(rows, 10);
    const expected = Array.from({ length: 10 }, (_, s) => {
      const counts = new Array<number>(CLASSES).fill(0);
      for (let r = 0; r < rows; r++) if (splitOf[r] === s) counts[Math.floor(r / 10)]!++;
      const n = counts.reduce((a, b) => a + b, 0);
      return Math.exp(-counts.reduce((h, c) => (c > 0 ? h + (c / n) * Math.log(c / n) : h), 0));
    });
    expect(score.scores.map((v, s) => Math.abs(v - expected[s]!)).every((d) => d < 1e-9)).toBe(true);
    expect(score.mean).toBeGreaterThan(5);
  });

  test('gives the same result whether logits arrive at once or in uneven batches', () => {
    const rows = 101;
    const rng = seededRandom(8);
    const logits = Float32Array.from({ length: rows * CLASSES }, () => 4 * rng.normal());
    const acc = inceptionScoreAccumulator(rows, CLASSES, 10);
    for (const [start, size] of [[0, 13], [13, 0], [13, 50], [63, 38]] as const) acc.add(logits.subarray(start * CLASSES, (start + size) * CLASSES), size);
    const batched = acc.finish();
    const whole = inceptionScore(logits, rows, CLASSES, 10);
    expect(batched.scores).toEqual(whole.scores);
  });

  test('refuses fewer items than splits, missing items and non-finite logits', () => {
    expect(() => inceptionScore(new Float32Array(5 * CLASSES), 5, CLASSES, 10)).toThrow(/cannot be cut into 10/);
    const acc = inceptionScoreAccumulator(20, CLASSES, 2);
    acc.add(new Float32Array(10 * CLASSES), 10);
    expect(() => acc.finish()).toThrow(/got 10 of the 20/);
    expect(() => inceptionScore([0, Number.NaN, Number.NaN, 0], 2, 2, 1)).toThrow(/non-finite/);
  });
});
