/**
 * The Inception-Score-style score exp(E_x[KL(p(y|x) ‖ p(y))]) from class logits, with
 * mean ± std over splits as torch-fidelity reports it (std is the population std, numpy's
 * default). Like torch-fidelity, the items are shuffled before they are cut into splits, by
 * a fixed seeded permutation (./split-order.ts), so the score does not depend on file order.
 */
import { splitOfItems } from './split-order.ts';

export interface InceptionScore {
  readonly mean: number;
  readonly std: number;
  /** The score of each split. */
  readonly scores: readonly number[];
}

export interface InceptionScoreAccumulator {
  readonly count: number;
  /** Add the logits of the next `rows` items (rows·classes values). */
  add(logits: ArrayLike<number>, rows: number): void;
  finish(): InceptionScore;
}

/**
 * Streaming score over `total` items (known up front, so splits are fixed): per split it
 * keeps only Σₓ Σ_y p log p and Σₓ p(y|x), since
 * E_x[KL(p(y|x) ‖ p(y))] = (1/n) Σₓ Σ_y p log p − Σ_y p̄(y) log p̄(y).
 *
 * @example
 * const acc = inceptionScoreAccumulator(2000, 10);
 * acc.add(logits, 250); // ... until 2000 rows
 * const { mean, std } = acc.finish();
 */
export function inceptionScoreAccumulator(total: number, classes: number, splits = 10): InceptionScoreAccumulator {
  if (!Number.isInteger(classes) || classes < 2) throw new RangeError(`inceptionScore: need at least 2 classes, got ${classes}`);
  if (!Number.isInteger(splits) || splits < 1) throw new RangeError(`inceptionScore: splits must be a positive integer, got ${splits}`);
  if (!Number.isInteger(total) || total < splits) throw new RangeError(`inceptionScore: ${total} item(s) cannot be cut into ${splits} split(s)`);
  const negEntropy = new Float64Array(splits);
  const marginal = new Float64Array(splits * classes);
  const logP = new Float64Array(classes);
  const splitOf = splitOfItems(total, splits);
  const sizes = new Float64Array(splits);
  for (const split of splitOf) sizes[split]!++;
  let count = 0;
  return {
    get count() {
      return count;
    },
    add(logits, rows) {
      if (count + rows > total) throw new RangeError(`inceptionScore: more than the ${total} items announced`);
      if (logits.length < rows * classes) throw new RangeError(`inceptionScore: ${rows} rows of ${classes} need ${rows * classes} values`);
      for (let r = 0; r < rows; r++, count++) {
        const split = splitOf[count]!;
        const row = r * classes;
        // log-softmax, shifted by the max for stability
        let max = -Infinity;
        for (let c = 0; c < classes; c++) max = Math.max(max, logits[row + c]!);
        if (!Number.isFinite(max)) throw new RangeError(`inceptionScore: item ${count} has non-finite logits`);
        let sum = 0;
        for (let c = 0; c < classes; c++) sum += Math.exp(logits[row + c]! - max);
        const logSum = Math.log(sum) + max;
        let h = 0;
        const m = split * classes;
        for (let c = 0; c < classes; c++) {
          logP[c] = logits[row + c]! - logSum;
          const p = Math.exp(logP[c]!);
          if (p > 0) h += p * logP[c]!;
          marginal[m + c]! += p;
        }
        negEntropy[split]! += h;
      }
    },
    finish() {
      if (count !== total) throw new RangeError(`inceptionScore: got ${count} of the ${total} items announced`);
      const scores: number[] = [];
      for (let s = 0; s < splits; s++) {
        const n = sizes[s]!;
        let crossTerm = 0;
        for (let c = 0; c < classes; c++) {
          const pBar = marginal[s * classes + c]! / n;
          if (pBar > 0) crossTerm += pBar * Math.log(pBar);
        }
        scores.push(Math.exp(negEntropy[s]! / n - crossTerm));
      }
      const mean = scores.reduce((a, b) => a + b, 0) / splits;
      const variance = scores.reduce((a, b) => a + (b - mean) ** 2, 0) / splits;
      return { mean, std: Math.sqrt(variance), scores };
    },
  };
}

/** The score of `rows` items' logits (rows·classes values), in one call. */
export function inceptionScore(logits: ArrayLike<number>, rows: number, classes: number, splits = 10): InceptionScore {
  const acc = inceptionScoreAccumulator(rows, classes, splits);
  acc.add(logits, rows);
  return acc.finish();
}
