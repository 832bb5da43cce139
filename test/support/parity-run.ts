/**
 * One reference case (a folder with case.json and expected.npy) run through the real CLI, as
 * test/parity.test.ts and test/guided-parity.test.ts both do: from the case's folder, so its
 * relative --noise / --input_dir / config resolve as a user's would, with --save_npy.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'bun:test';
import { type NpyArray, parseNpy } from '../../core/io/npy.ts';
import { runCli } from './cli.ts';
import { tempDirSync } from './fixtures.ts';

/** A case's case.json: the CLI flags, and the timesteps and samples.npy shape they must give. */
export interface ParityCase {
  readonly args: string[];
  readonly timesteps: number[];
  readonly shape: number[];
}

/** The largest |a − b| of two arrays of the same length (checked). */
export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

function readParityCase(dir: string): ParityCase {
  return JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as ParityCase;
}

/**
 * Run `ddim sample -c CONFIG --weights MODEL <case args>` in the case's folder; checks that it
 * ran clean (nothing on stderr, exit 0), visited the case's timesteps and wrote samples of its
 * shape. Returns the output folder, our samples and the expected ones.
 */
export async function runParityCase(dir: string, config: string, model: string): Promise<{ out: string; spec: ParityCase; ours: NpyArray; expected: NpyArray }> {
  const spec = readParityCase(dir);
  const out = tempDirSync();
  const result = await runCli(['sample', '-c', config, '--weights', model, ...spec.args, '--save_dir', out, '--save_npy', '--quiet'], { cwd: dir });
  expect(result.stderr).toBe('');
  expect(result.exitCode).toBe(0);
  const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
  expect(run.timesteps).toEqual(spec.timesteps);
  const ours = parseNpy(readFileSync(join(out, 'samples.npy')));
  const expected = parseNpy(readFileSync(join(dir, 'expected.npy')));
  expect(ours.shape).toEqual(spec.shape);
  return { out, spec, ours, expected };
}
