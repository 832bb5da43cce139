/**
 * Which split of the Inception-Score-style score each item falls in. torch-fidelity shuffles
 * the samples before it cuts them into splits (samples_shuffle, numpy's RandomState(2020));
 * so does this, with its own fixed permutation: a Fisher–Yates shuffle whose draws come from
 * Philox4x32-10 (core/noise/philox.ts) keyed (2020, 0), draw i at counter (i, 0, 0, 0). Split s
 * holds the items at positions ⌊s·N/splits⌋ … ⌊(s+1)·N/splits⌋ − 1 of the shuffled order.
 * Not numpy's permutation, so split scores differ from torch-fidelity's, but folders written
 * in class order (class0/ … class9/) no longer give every split a single class.
 */
import { philox4x32 } from '../core/noise/philox.ts';

export const SPLIT_SEED = 2020;

/** A permutation of 0..n−1, the same for the same n and seed on every machine. */
export function seededPermutation(n: number, seed = SPLIT_SEED): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const draw = new Uint32Array(4);
  for (let i = n - 1; i > 0; i--) {
    philox4x32(i, 0, 0, 0, seed >>> 0, 0, draw);
    // A 32-bit draw scaled to 0..i: the bias is below i/2³², nothing at any image count.
    const j = Math.floor((draw[0]! / 4294967296) * (i + 1));
    const swap = order[i]!;
    order[i] = order[j]!;
    order[j] = swap;
  }
  return order;
}

/** The split of each item 0..total−1 (the shuffled order cut into `splits` parts). */
export function splitOfItems(total: number, splits: number, seed = SPLIT_SEED): Uint32Array {
  const order = seededPermutation(total, seed);
  const splitOf = new Uint32Array(total);
  let split = 0;
  for (let position = 0; position < total; position++) {
    while (position >= Math.floor(((split + 1) * total) / splits)) split++;
    splitOf[order[position]!] = split;
  }
  return splitOf;
}
