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

export { maxAbsDiff } from './sample-diff.ts';

/** A case's case.json: the CLI flags, and the timesteps and samples.npy shape they must give. */
export interface ParityCase {
  readonly args: string[];
  readonly timesteps: number[];
  readonly shape: number[];
}

function readParityCase(dir: string): ParityCase {
  return JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as ParityCase;
}

/**
 * Run `ddim sample -c CONFIG --weights MODEL <case args>` in the case's folder; checks that it
 * ran clean (nothing on stderr, exit 0), visited the case's timesteps and wrote samples of its
 * shape. `extraArgs` follow the case's own (e.g. `--backend web`). Returns the output folder,
 * our samples, the expected ones and run.json.
 */
export async function runParityCase(dir: string, config: string, model: string, extraArgs: readonly string[] = []): Promise<{ out: string; spec: ParityCase; ours: NpyArray; expected: NpyArray; run: { model: { providers: string[] } } }> {
  const spec = readParityCase(dir);
  const out = tempDirSync();
  const result = await runCli(['sample', '-c', config, '--weights', model, ...spec.args, ...extraArgs, '--save_dir', out, '--save_npy', '--quiet'], { cwd: dir });
  expect(result.stderr).toBe('');
  expect(result.exitCode).toBe(0);
  const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
  expect(run.timesteps).toEqual(spec.timesteps);
  const ours = parseNpy(readFileSync(join(out, 'samples.npy')));
  const expected = parseNpy(readFileSync(join(dir, 'expected.npy')));
  expect(ours.shape).toEqual(spec.shape);
  return { out, spec, ours, expected, run };
}
