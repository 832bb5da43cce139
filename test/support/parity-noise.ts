import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeNpy, parseNpy } from '../../core/io/npy.ts';
import { PARITY } from './fixtures.ts';

/** The parity case whose noise.npy the noise files are cut from: 3×32×32 rows. */
export const NOISE_CASE = join(PARITY, 'sample_uniform10');
const SIZE = 3 * 32 * 32;

/** A noise file in `dir` whose rows are the given rows of the parity case's noise.npy. */
export function parityNoiseFile(dir: string, name: string, rows: readonly number[]): string {
  const source = parseNpy(readFileSync(join(NOISE_CASE, 'noise.npy'))).data;
  const data = new Float32Array(rows.length * SIZE);
  rows.forEach((row, i) => data.set(source.subarray(row * SIZE, (row + 1) * SIZE), i * SIZE));
  const path = join(dir, name);
  writeFileSync(path, encodeNpy([rows.length, 3, 32, 32], data));
  return path;
}
