/** Mean and covariance of feature vectors, accumulated batch by batch in float64. */

/** A Gaussian fitted to feature vectors: all the Fréchet distance needs. */
export interface GaussianStats {
  readonly dim: number;
  readonly mean: Float64Array;
  /** dim×dim row-major, unbiased (divided by count − 1), as numpy.cov and FID use. */
  readonly cov: Float64Array;
}

export interface FeatureStats extends GaussianStats {
  /** How many vectors the statistics were taken over. */
  readonly count: number;
}

export interface FeatureStatsAccumulator {
  readonly dim: number;
  readonly count: number;
  /** Add `rows` vectors of `dim` values each, read from values[0 .. rows·dim). */
  add(values: ArrayLike<number>, rows: number): void;
  /** The statistics of everything added so far (at least two vectors). */
  finish(): FeatureStats;
}

/**
 * Streaming mean and covariance: each batch is centred on its own mean and merged with
 * Chan et al.'s pairwise update, which keeps precision where a raw Σxxᵀ would not.
 *
 * @example
 * const acc = featureStatsAccumulator(128);
 * acc.add(batchFeatures, batchSize);
 * const { mean, cov } = acc.finish();
 */
export function featureStatsAccumulator(dim: number): FeatureStatsAccumulator {
  if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`featureStatsAccumulator: dim must be a positive integer, got ${dim}`);
  let count = 0;
  const mean = new Float64Array(dim);
  // Upper triangle of the scatter matrix Σ(x − μ)(x − μ)ᵀ.
  const scatter = new Float64Array(dim * dim);
  let centred = new Float64Array(0);
  const batchMean = new Float64Array(dim);
  return {
    dim,
    get count() {
      return count;
    },
    add(values, rows) {
      if (rows === 0) return;
      if (values.length < rows * dim) throw new RangeError(`featureStatsAccumulator.add: ${rows} rows of ${dim} need ${rows * dim} values, got ${values.length}`);
      if (centred.length < rows * dim) centred = new Float64Array(rows * dim);
      batchMean.fill(0);
      for (let r = 0; r < rows; r++) for (let j = 0; j < dim; j++) batchMean[j]! += values[r * dim + j]!;
      for (let j = 0; j < dim; j++) batchMean[j]! /= rows;
      for (let r = 0; r < rows; r++) for (let j = 0; j < dim; j++) centred[r * dim + j] = values[r * dim + j]! - batchMean[j]!;
      for (let r = 0; r < rows; r++) {
        const row = r * dim;
        for (let i = 0; i < dim; i++) {
          const xi = centred[row + i]!;
          if (xi === 0) continue;
          const out = i * dim;
          for (let j = i; j < dim; j++) scatter[out + j]! += xi * centred[row + j]!;
        }
      }
      const total = count + rows;
      const weight = (count * rows) / total;
      for (let i = 0; i < dim; i++) {
        const di = batchMean[i]! - mean[i]!;
        if (count > 0 && di !== 0) {
          for (let j = i; j < dim; j++) scatter[i * dim + j]! += weight * di * (batchMean[j]! - mean[j]!);
        }
      }
      for (let i = 0; i < dim; i++) mean[i]! += ((batchMean[i]! - mean[i]!) * rows) / total;
      count = total;
    },
    finish() {
      if (count < 2) throw new RangeError(`featureStatsAccumulator: a covariance needs at least 2 vectors, got ${count}`);
      const cov = new Float64Array(dim * dim);
      for (let i = 0; i < dim; i++) {
        for (let j = i; j < dim; j++) {
          const value = scatter[i * dim + j]! / (count - 1);
          cov[i * dim + j] = value;
          cov[j * dim + i] = value;
        }
      }
      return { count, dim, mean: Float64Array.from(mean), cov };
    },
  };
}

/** The statistics of `rows` vectors of `dim` values, in one call. */
export function featureStats(values: ArrayLike<number>, rows: number, dim: number): FeatureStats {
  const acc = featureStatsAccumulator(dim);
  acc.add(values, rows);
  return acc.finish();
}
