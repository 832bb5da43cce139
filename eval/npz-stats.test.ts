import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { UserError } from '../core/errors.ts';
import { encodeNpy } from '../core/io/npy.ts';
import { readNpzStats } from './npz-stats.ts';

/** Written by numpy: test/eval-fixtures/make_npz_stats.py. */
const FIXTURES = join(import.meta.dir, '../test/eval-fixtures');
const MU = [0.5, -1.25, 3.0];
const SIGMA = [2.0, 0.5, 0.0, 0.5, 1.0, 0.25, 0.0, 0.25, 3.0];

const dir = mkdtempSync(join(tmpdir(), 'ddim-npz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function npz(name: string, members: Record<string, Uint8Array>): string {
  const path = join(dir, name);
  writeFileSync(path, zipSync(members, { level: 0 }));
  return path;
}

describe('.npz reference statistics', () => {
  test.each([
    ['np.savez, float64 (pytorch-fid)', 'fid_stats_savez.npz'],
    ['np.savez_compressed, float32 (deflated members)', 'fid_stats_savez_compressed.npz'],
  ])('%s: mu and sigma as numpy wrote them', (_name, file) => {
    const stats = readNpzStats(join(FIXTURES, file));
    expect(stats.dim).toBe(3);
    expect(Array.from(stats.mean)).toEqual(MU);
    expect(Array.from(stats.cov)).toEqual(SIGMA);
  });

  test('a covariance asymmetric by round-off is averaged, one that is not a covariance is refused', () => {
    const mu = encodeNpy([2], Float64Array.of(0, 0));
    const roundOff = npz('roundoff.npz', { 'mu.npy': mu, 'sigma.npy': encodeNpy([2, 2], Float64Array.of(1, 0.3 + 1e-16, 0.3, 1)) });
    const cov = readNpzStats(roundOff).cov;
    expect(cov[1]).toBe(cov[2]!);
    expect(cov[1]).toBeCloseTo(0.3, 15);
    const skewed = npz('skewed.npz', { 'mu.npy': mu, 'sigma.npy': encodeNpy([2, 2], Float64Array.of(1, 0.3, -0.3, 1)) });
    expect(() => readNpzStats(skewed)).toThrow(/skewed\.npz: sigma is not symmetric at \[1\]\[0\]$/);
  });

  test.each([
    ['not a zip archive', () => (writeFileSync(join(dir, 'text.npz'), 'mu,sigma'), join(dir, 'text.npz')), /text\.npz: not an \.npz file/],
    ['a cut-off archive', () => {
      const whole = readFileSync(join(FIXTURES, 'fid_stats_savez.npz'));
      writeFileSync(join(dir, 'cut.npz'), whole.subarray(0, 200));
      return join(dir, 'cut.npz');
    }, /cut\.npz: unreadable \.npz archive/],
    ['other array names', () => npz('named.npz', { 'mean.npy': encodeNpy([1], Float64Array.of(0)) }), /named\.npz: no array "mu" \(it holds mean\); expected mu and sigma$/],
    ['sigma of the wrong size', () => npz('size.npz', {
      'mu.npy': encodeNpy([3], Float64Array.of(0, 0, 0)),
      'sigma.npy': encodeNpy([2, 2], Float64Array.of(1, 0, 0, 1)),
    }), /size\.npz: sigma: expected shape \[3,3\] to match mu, got \[2,2\]$/],
    ['a negative variance', () => npz('negative.npz', {
      'mu.npy': encodeNpy([2], Float64Array.of(0, 0)),
      'sigma.npy': encodeNpy([2, 2], Float64Array.of(1, 0, 0, -1)),
    }), /negative\.npz: sigma\[1\]\[1\] is -1; a variance is never negative$/],
    ['a correlation above 1', () => npz('indefinite.npz', {
      'mu.npy': encodeNpy([2], Float64Array.of(0, 0)),
      'sigma.npy': encodeNpy([2, 2], Float64Array.of(1, 2, 2, 1)),
    }), /indefinite\.npz: sigma is not a covariance: \|sigma\[1\]\[0\]\| = 2 exceeds √\(sigma\[1\]\[1\]·sigma\[0\]\[0\]\)$/],
    ['a missing file', () => join(dir, 'absent.npz'), /cannot read stats file .*absent\.npz: /],
    ['an infinite variance', () => npz('infinite.npz', {
      'mu.npy': encodeNpy([2], Float64Array.of(0, 0)),
      'sigma.npy': encodeNpy([2, 2], Float64Array.of(1, 0, 0, Infinity)),
    }), /infinite\.npz: sigma\[1\]\[1\] is Infinity, not a finite number$/],
    ['a negative dimension in a .npy header', () => {
      const dict = new TextEncoder().encode("{'descr': '<f8', 'fortran_order': False, 'shape': (-3,), }\n");
      const header = Uint8Array.of(0x93, ...new TextEncoder().encode('NUMPY'), 1, 0, dict.length, 0, ...dict);
      return npz('shape.npz', { 'mu.npy': header, 'sigma.npy': encodeNpy([1, 1], Float64Array.of(1)) });
    }, /shape\.npz: mu: unreadable \.npy shape \(-3,\)$/],
  ] as [string, () => string, RegExp][])('%s: a UserError naming the file', (_name, make, message) => {
    const path = make();
    let caught: unknown;
    try {
      readNpzStats(path);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UserError);
    expect((caught as Error).message).toMatch(message);
  });
});
