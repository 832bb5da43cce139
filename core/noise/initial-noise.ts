import { UserError } from '../errors.ts';
import type { NpyArray } from '../io/npy.ts';
import { INITIAL_STEP, fillGaussian } from './philox.ts';

/**
 * x_T for each stream: row `stream` of a user's noise array, or seeded Philox noise.
 * Returns a function that fills out[offset .. offset + size).
 */
export function initialNoiseSource(
  seed: number,
  itemShape: readonly number[],
  given: NpyArray | undefined,
  label = 'noise',
): (out: Float32Array, offset: number, stream: number) => void {
  const size = itemShape.reduce((a, b) => a * b, 1);
  if (!given) return (out, offset, stream) => fillGaussian(out, offset, size, { seed, stream, step: INITIAL_STEP });
  const rowSize = given.shape.slice(1).reduce((a, b) => a * b, 1);
  if (given.shape.length < 2 || rowSize !== size) {
    throw new UserError(`${label}: expected an array of shape [N,${itemShape.join(',')}] (the model's input), got [${given.shape.join(',')}]`);
  }
  // NaN or ±∞ in x_T spreads to every later step: the image would be black, not an error.
  const bad = given.data.findIndex((v) => !Number.isFinite(v));
  if (bad !== -1) {
    throw new UserError(`${label}: holds ${given.data[bad]} (row ${Math.floor(bad / size)}, value ${bad % size}); x_T must be finite numbers`);
  }
  const rows = given.shape[0]!;
  return (out, offset, stream) => {
    if (stream >= rows) {
      throw new UserError(`${label}: has ${rows} row${rows === 1 ? '' : 's'}, this run needs at least ${stream + 1} (one x_T per sample, two per interpolation pair); give more rows or lower n_samples`);
    }
    out.set(given.data.subarray(stream * size, (stream + 1) * size), offset);
  };
}
