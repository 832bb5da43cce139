/**
 * Reference statistics from other FID tools: pytorch-fid, TTUR and clean-fid save the
 * feature mean and covariance as an .npz archive with arrays `mu` [D] and `sigma` [D, D].
 * Such a file does not record which network made it, so only its dimension can be checked.
 */
import { readFileSync } from 'node:fs';
import { firstLine, UserError } from '../core/errors.ts';
import { readNpz } from '../core/io/npz.ts';
import type { GaussianStats } from './feature-stats.ts';

/**
 * How far apart sigma[i][j] and sigma[j][i] may be (relative) before the file is refused:
 * above float32 round-off (a float32 sigma is one ulp asymmetric at worst), far below what
 * a matrix that is not a covariance shows.
 */
const SYMMETRY_TOLERANCE = 1e-6;

/** Read `mu` and `sigma` from an .npz file; every problem is a UserError naming the file. */
export function readNpzStats(path: string): GaussianStats {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new UserError(`cannot read stats file ${path}: ${firstLine(error)}`);
  }
  const arrays = readNpz(bytes, path, ['mu', 'sigma']);
  const mu = arrays.get('mu')!;
  const sigma = arrays.get('sigma')!;
  const dim = mu.data.length;
  if (mu.shape.length !== 1) throw new UserError(`${path}: mu: expected a vector, got shape [${mu.shape.join(',')}]`);
  if (sigma.shape.length !== 2 || sigma.shape[0] !== dim || sigma.shape[1] !== dim) {
    throw new UserError(`${path}: sigma: expected shape [${dim},${dim}] to match mu, got [${sigma.shape.join(',')}]`);
  }
  const cov = sigma.data;
  const bad = cov.findIndex((value) => !Number.isFinite(value));
  if (bad !== -1) throw new UserError(`${path}: sigma[${Math.floor(bad / dim)}][${bad % dim}] is ${cov[bad]}, not a finite number`);
  for (let i = 0; i < dim; i++) {
    if (!Number.isFinite(mu.data[i]!)) throw new UserError(`${path}: mu[${i}] is not a finite number`);
    if (!(cov[i * dim + i]! >= 0)) throw new UserError(`${path}: sigma[${i}][${i}] is ${cov[i * dim + i]}; a variance is never negative`);
  }
  // numpy.cov's matrix product need not be exactly symmetric: average the two halves,
  // but refuse a matrix that is not a covariance at all. A covariance also has
  // |σᵢⱼ| ≤ √(σᵢᵢσⱼⱼ): this O(D²) test catches a garbled sigma before the long feature pass;
  // subtler indefiniteness shows when the distance is taken (see evaluate).
  for (let i = 0; i < dim; i++) {
    for (let j = 0; j < i; j++) {
      const upper = cov[j * dim + i]!;
      const lower = cov[i * dim + j]!;
      const scale = Math.max(Math.abs(upper), Math.abs(lower), Math.sqrt(Math.abs(cov[i * dim + i]! * cov[j * dim + j]!)));
      if (!(Math.abs(upper - lower) <= SYMMETRY_TOLERANCE * scale)) throw new UserError(`${path}: sigma is not symmetric at [${i}][${j}]`);
      const c = (upper + lower) / 2;
      if (c * c > cov[i * dim + i]! * cov[j * dim + j]! * (1 + SYMMETRY_TOLERANCE)) {
        throw new UserError(`${path}: sigma is not a covariance: |sigma[${i}][${j}]| = ${Math.abs(c)} exceeds √(sigma[${i}][${i}]·sigma[${j}][${j}])`);
      }
      cov[i * dim + j] = cov[j * dim + i] = c;
    }
  }
  return { dim, mean: mu.data, cov };
}
