/**
 * Fuzz pass over `--noise` files: the reference noise written every valid way (each must give
 * the reference's images) and broken ones (each must fail in one line). Most run in this
 * process on one loaded model; a representative subset through the real CLI.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type DiffusionModel, type Pipeline, createPipeline, encodeNpy, loadConfig, loadOnnxModel, memorySink, parseOverride } from '../index.ts';
import { pngs, runCli } from './support/cli.ts';
import { DEFAULT_CONFIG, DEFAULT_MODEL, tempDirSync } from './support/fixtures.ts';
import { type CliCase, FUZZ_SEED, FuzzTally, checkSamples, expectsOf, libraryVerdict, makeDraws, runCliCases } from './support/fuzz-harness.ts';
import { fuzzNpy } from './support/fuzz-npy.ts';

const ROWS = 2;
const SIZE = 32 * 32;
const LIBRARY_CASES = 200;
const CLI_CASES = 40;

let dir = '';
let model: DiffusionModel;
let pipeline: Pipeline;
let noise: Float32Array = new Float32Array(0);
let referenceSamples: Float32Array = new Float32Array(0);
let referencePngs = new Map<string, Buffer>();

const runArgs = (file: string, save: string) => ['sample', '--noise', file, '--n_samples', String(ROWS), '--skip_steps', '3', '--save_dir', save, '--save_npy', '-q'];

/** The samples of a run from `file`, in this process. */
async function samplesFrom(file: string): Promise<Float32Array> {
  const overrides = [`sampler.noise=${file}`, `sampler.n_samples=${ROWS}`, 'diffusion.params.skip_steps=3'].map(parseOverride);
  const sink = memorySink();
  await pipeline.run({ config: loadConfig(DEFAULT_CONFIG, { overrides }), sink });
  return sink.samples;
}

beforeAll(async () => {
  dir = tempDirSync('ddim-fuzz-noise-');
  model = await loadOnnxModel(DEFAULT_MODEL, { expect: { channels: 1, size: 32 } });
  pipeline = await createPipeline(loadConfig(DEFAULT_CONFIG), { model });
  const draws = makeDraws(FUZZ_SEED + 10);
  noise = Float32Array.from({ length: ROWS * SIZE }, () => (draws.random() + draws.random() + draws.random() - 1.5) * 2);
  const file = join(dir, 'reference.npy');
  writeFileSync(file, encodeNpy([ROWS, 1, 32, 32], noise));
  referenceSamples = await samplesFrom(file);
  const save = join(dir, 'reference-out');
  const result = await runCli(runArgs(file, save));
  expect(result.stderr).toBe('');
  referencePngs = pngs(save);
  expect(referencePngs.size).toBe(ROWS);
});

afterAll(async () => {
  await model?.dispose();
});

describe('fuzz: noise files', () => {
  test('each .npy file gives the reference samples or fails in one line (library)', async () => {
    const draws = makeDraws(FUZZ_SEED + 11);
    const tally = new FuzzTally('npy (library)');
    for (let i = 0; i < LIBRARY_CASES; i++) {
      const draw = fuzzNpy(draws, noise, ROWS, SIZE);
      const file = join(dir, `lib-${i}.npy`);
      writeFileSync(file, draw.bytes);
      let samples: Float32Array | undefined;
      const problem = await libraryVerdict(async () => {
        samples = await samplesFrom(file);
      }, expectsOf(draw));
      let wrong: string | undefined;
      if (samples && draw.broken) wrong = 'accepted a broken file';
      else if (samples && draw.same && !samples.every((v, j) => v === referenceSamples[j])) wrong = 'samples differ from the reference';
      tally.record(`#${i} ${draw.kind} (${file})`, problem ?? wrong, expectsOf(draw));
    }
    expect(tally.report()).toEqual([]);
  });

  test('the CLI gives the reference images or one error line for each .npy file', async () => {
    const draws = makeDraws(FUZZ_SEED + 12);
    const cases: CliCase[] = Array.from({ length: CLI_CASES }, (_, i) => {
      const draw = fuzzNpy(draws, noise, ROWS, SIZE);
      const file = join(dir, `cli-${i}.npy`);
      writeFileSync(file, draw.bytes);
      const save = join(dir, `cli-${i}-out`);
      const check = () => {
        const problem = checkSamples(save, ROWS);
        if (problem || !draw.same) return problem;
        const got = pngs(save);
        return [...referencePngs].every(([name, bytes]) => got.get(name)?.equals(bytes)) ? undefined : 'images differ from the reference';
      };
      return { label: `#${i} ${draw.kind}`, args: runArgs(file, save), expects: expectsOf(draw), check };
    });
    const tally = new FuzzTally('npy (CLI)');
    await runCliCases(tally, cases);
    expect(tally.report()).toEqual([]);
  });
});
