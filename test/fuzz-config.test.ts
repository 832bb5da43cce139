/**
 * Fuzz pass over configs and overrides: seeded random YAML files (wrong types, huge numbers,
 * deep nesting, alias bombs, bytes that are not UTF-8) and `key=value` / `--flag value`
 * words. Hundreds go through the library (load, validate, prepare), a representative
 * subset through the real CLI; each ends in a result or one `error: ` line with exit 2.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { type DiffusionModel, createPipeline, loadConfig, loadOnnxModel, parseOverride } from '../index.ts';
import { fuzzConfig, fuzzOverride } from './support/fuzz-configs.ts';
import { type CliCase, FUZZ_SEED, FuzzTally, checkSamples, libraryVerdict, makeDraws, runCliCases, shortWord } from './support/fuzz-harness.ts';
import { DEFAULT_CONFIG, DEFAULT_MODEL, tempDirSync } from './support/fixtures.ts';

const LIBRARY_CONFIGS = 300;
const LIBRARY_OVERRIDES = 300;
const CLI_CONFIGS = 40;
const CLI_OVERRIDES = 40;

let dir = '';
let inputDir = '';
let model: DiffusionModel;

beforeAll(async () => {
  dir = tempDirSync('ddim-fuzz-config-');
  inputDir = join(dir, 'inputs');
  mkdirSync(inputDir);
  const pixels = Buffer.from(Array.from({ length: 32 * 32 }, (_, i) => (i * 37) % 256));
  await sharp(pixels, { raw: { width: 32, height: 32, channels: 1 } }).png().toFile(join(inputDir, 'a.png'));
  model = await loadOnnxModel(DEFAULT_MODEL, { expect: { channels: 1, size: 32 } });
});

afterAll(async () => {
  await model?.dispose();
});

/** Whether Object.prototype gained keys (a `__proto__` key path written through). */
function polluted(): string | undefined {
  const keys = Object.getOwnPropertyNames(Object.prototype).filter((k) => !ORIGINAL_PROTO_KEYS.has(k));
  for (const key of keys) delete (Object.prototype as Record<string, unknown>)[key];
  return keys.length > 0 ? `Object.prototype gained ${keys.join(', ')}` : undefined;
}
const ORIGINAL_PROTO_KEYS = new Set(Object.getOwnPropertyNames(Object.prototype));

/** Load, validate and prepare (no sampling) in this process, on the shipped model. */
async function loadAndPrepare(file: string | undefined, words: readonly string[] = []): Promise<string | undefined> {
  const problem = await libraryVerdict(async () => {
    const overrides = words.filter((w) => !w.startsWith('-')).map(parseOverride);
    const config = loadConfig(file ?? DEFAULT_CONFIG, { overrides });
    const pipeline = await createPipeline(config, { model });
    await pipeline.prepare();
  }, 'either');
  return polluted() ?? problem;
}

describe('fuzz: configs and overrides', () => {
  test('random config files load, or fail with one line naming the file', async () => {
    const draws = makeDraws(FUZZ_SEED);
    const tally = new FuzzTally('configs (library)');
    for (let i = 0; i < LIBRARY_CONFIGS; i++) {
      const { kind, bytes } = fuzzConfig(draws, DEFAULT_CONFIG, inputDir);
      const file = join(dir, `lib-${i}.yaml`);
      writeFileSync(file, bytes);
      tally.record(`#${i} ${kind} (${file})`, await loadAndPrepare(file), 'either');
    }
    expect(tally.report()).toEqual([]);
  });

  test('random overrides and flag values are applied, or fail with one line naming them', async () => {
    const draws = makeDraws(FUZZ_SEED + 1);
    const tally = new FuzzTally('overrides (library)');
    for (let i = 0; i < LIBRARY_OVERRIDES; i++) {
      const words = Array.from({ length: 1 + draws.int(3) }, () => fuzzOverride(draws)).flat();
      tally.record(`#${i} ${words.map(shortWord).join(' ')}`, await loadAndPrepare(undefined, words.filter((w) => w.includes('=') && !w.startsWith('-'))), 'either');
    }
    expect(tally.report()).toEqual([]);
  });

  test('the CLI gives a result or one error line for random configs', async () => {
    const draws = makeDraws(FUZZ_SEED + 2);
    const cases: CliCase[] = Array.from({ length: CLI_CONFIGS }, (_, i) => {
      const { kind, bytes } = fuzzConfig(draws, DEFAULT_CONFIG, inputDir);
      const file = join(dir, `cli-${i}.yaml`);
      writeFileSync(file, bytes);
      const save = join(dir, `cli-${i}-out`);
      return { label: `#${i} ${kind}`, args: ['sample', '-c', file, '--save_dir', save, '--save_npy', '-q'], expects: 'either', check: () => checkSamples(save) };
    });
    const tally = new FuzzTally('configs (CLI)');
    await runCliCases(tally, cases);
    expect(tally.report()).toEqual([]);
  });

  test('the CLI gives a result or one error line for random overrides and flags', async () => {
    const draws = makeDraws(FUZZ_SEED + 3);
    const cases: CliCase[] = Array.from({ length: CLI_OVERRIDES }, (_, i) => {
      const words = Array.from({ length: 1 + draws.int(3) }, () => fuzzOverride(draws)).flat();
      const save = join(dir, `flags-${i}-out`);
      const args = ['sample', '--n_samples', '2', '--skip_steps', '3', ...words, '--save_dir', save, '--save_npy', '-q'];
      return { label: `#${i}`, args, expects: 'either', check: () => checkSamples(save) };
    });
    // A valid run whose command line is 40,000 characters long (onnxruntime 1.30 reads it at start).
    const save = join(dir, 'flags-long-out');
    cases.push({ label: 'a long command line', args: ['sample', '--n_samples', '1', '--skip_steps', '2', `sampler.options.note=${'x'.repeat(40_000)}`, '--save_dir', save, '-q'], expects: 'result' });
    const tally = new FuzzTally('overrides (CLI)');
    await runCliCases(tally, cases);
    expect(tally.report()).toEqual([]);
  });
});
