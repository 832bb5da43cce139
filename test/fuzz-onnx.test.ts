/**
 * Fuzz pass over ONNX files: small real graphs with wrong signatures (names, ranks, dtypes,
 * fixed batches, outputs of another shape or type, NaN outputs) and broken files (truncated,
 * random bytes, changed bytes). Each either samples whole, finite images or fails in one
 * line naming the file. Graphs load in this process; the broken files, which could take
 * down onnxruntime itself, and a subset of the graphs run through the real CLI.
 */
import { beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configFromObject, createPipeline, loadOnnxModel, memorySink } from '../index.ts';
import { DEFAULT_MODEL, tempDirSync } from './support/fixtures.ts';
import { type CliCase, type Expected, FUZZ_SEED, FuzzTally, checkSamples, libraryVerdict, makeDraws, runCliCases } from './support/fuzz-harness.ts';
import { fuzzBrokenOnnx, fuzzSignature, signatureModel, validSignature } from './support/fuzz-onnx.ts';

const LIBRARY_CASES = 80;
const CLI_SIGNATURE_CASES = 16;
const CLI_BROKEN_CASES = 24;

let dir = '';

beforeAll(() => {
  dir = tempDirSync('ddim-fuzz-onnx-');
});

/** Load the model and sample two images with it, in this process; a problem (a refusal too, where it `expects` a result), or undefined. */
async function sampleWith(file: string, expects: Expected): Promise<string | undefined> {
  let samples: Float32Array | undefined;
  const problem = await libraryVerdict(async () => {
    const model = await loadOnnxModel(file, { expect: { channels: 1, size: 32 } });
    try {
      const config = configFromObject({ data: { img_size: 32, img_channels: 1 }, diffusion: { params: { skip_steps: 3 } }, sampler: { n_samples: 3, micro_batch: 2 } });
      const pipeline = await createPipeline(config, { model });
      const sink = memorySink();
      await pipeline.run({ sink });
      samples = sink.samples;
    } finally {
      await model.dispose();
    }
  }, expects);
  if (problem) return problem;
  if (samples && !samples.every((v) => v >= -1 && v <= 1)) return 'samples are not finite values in [-1, 1]';
  return undefined;
}

describe('fuzz: ONNX files', () => {
  test('the valid graph samples (so that each draw changes what is checked)', async () => {
    const file = join(dir, 'valid.onnx');
    writeFileSync(file, signatureModel(validSignature()));
    expect(await sampleWith(file, 'result')).toBeUndefined();
  });

  test('graphs with wrong signatures sample, or fail in one line naming the model (library)', async () => {
    const draws = makeDraws(FUZZ_SEED + 30);
    const tally = new FuzzTally('onnx signatures (library)');
    for (let i = 0; i < LIBRARY_CASES; i++) {
      const { kind, signature } = fuzzSignature(draws);
      const file = join(dir, `lib-${i}.onnx`);
      writeFileSync(file, signatureModel(signature));
      tally.record(`#${i} ${kind} (${file})`, await sampleWith(file, 'either'), 'either');
    }
    expect(tally.report()).toEqual([]);
  });

  test('the CLI gives a result or one error line for each ONNX file', async () => {
    const draws = makeDraws(FUZZ_SEED + 31);
    const shipped = readFileSync(DEFAULT_MODEL);
    const cases: CliCase[] = [];
    for (let i = 0; i < CLI_SIGNATURE_CASES + CLI_BROKEN_CASES; i++) {
      const drawn = i < CLI_SIGNATURE_CASES ? fuzzSignature(draws) : undefined;
      const broken = drawn ? undefined : fuzzBrokenOnnx(draws, shipped);
      const file = join(dir, `cli-${i}.onnx`);
      writeFileSync(file, drawn ? signatureModel(drawn.signature) : broken!.bytes);
      const save = join(dir, `cli-${i}-out`);
      const args = ['sample', '--weights', file, '--n_samples', '3', '--micro_batch', '2', '--skip_steps', '3', '--save_dir', save, '--save_npy', '-q'];
      cases.push({ label: `#${i} ${drawn?.kind ?? broken!.kind}`, args, expects: broken !== undefined && !broken.kind.includes('changed') ? 'refusal' : 'either', check: () => checkSamples(save, 3) });
    }
    const tally = new FuzzTally('onnx (CLI)');
    await runCliCases(tally, cases);
    expect(tally.report()).toEqual([]);
  });
});
