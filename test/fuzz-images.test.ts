/**
 * Fuzz pass over input images (reconstruction, sdedit) and masks (inpaint --mask and
 * --mask_dir): lossless re-encodings of the reference must give the reference's pixels and
 * images; broken files must fail in one line naming them. Hundreds are decoded in this
 * process; a representative subset runs through the real CLI.
 */
import { beforeAll, describe, expect, test } from 'bun:test';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeImage } from '../core/io/images.ts';
import { pngs, runCli } from './support/cli.ts';
import { tempDirSync } from './support/fixtures.ts';
import { type CliCase, FUZZ_SEED, FuzzTally, checkSamples, expectsOf, libraryVerdict, makeDraws, runCliCases } from './support/fuzz-harness.ts';
import { type ImageDraw, SIDE, fuzzImage, imageName, plainPng, referencePixels } from './support/fuzz-images.ts';

const LIBRARY_CASES = 300;
const CLI_INPUT_CASES = 24;
const CLI_MASK_CASES = 12;
const CLI_MASK_DIR_CASES = 12;
const RUN = ['--n_samples', '2', '--skip_steps', '3', '--save_npy', '-q'];

let dir = '';
let inputs = '';
let maskFile = '';
let reference = new Float32Array(0);
const referencePngs = new Map<string, Map<string, Buffer>>();

/** Writes a drawn image (or, for the `a directory` kind, a folder) at `path`. */
function place(path: string, draw: ImageDraw): void {
  if (draw.bytes === undefined) mkdirSync(path, { recursive: true });
  else writeFileSync(path, draw.bytes);
}

/** The exit-0 check of a case: whole results, and the reference's images for a lossless input. */
function resultCheck(save: string, draw: ImageDraw, referenceKey: string): () => string | undefined {
  return () => {
    const problem = checkSamples(save, 2);
    if (problem || !draw.same) return problem;
    const expected = referencePngs.get(referenceKey)!;
    const got = pngs(save);
    return [...expected].every(([name, bytes]) => got.get(name)?.equals(bytes)) ? undefined : `images differ from the reference run (${referenceKey})`;
  };
}

beforeAll(async () => {
  dir = tempDirSync('ddim-fuzz-images-');
  inputs = join(dir, 'inputs');
  mkdirSync(inputs);
  writeFileSync(join(inputs, 'a.png'), await plainPng(referencePixels(1)));
  writeFileSync(join(inputs, 'b.png'), await plainPng(referencePixels(2)));
  maskFile = join(dir, 'mask.png');
  writeFileSync(maskFile, await plainPng(referencePixels(3)));
  reference = new Float32Array(SIDE * SIDE);
  await decodeImage(join(inputs, 'a.png'), SIDE, 1, reference, 0);
  // The reference runs each fuzzed run is compared with, when its input is a lossless re-encoding.
  const runs: Record<string, string[]> = {
    reconstruction: ['--mode', 'reconstruction', '--input_dir', inputs],
    sdedit: ['--mode', 'sdedit', '--input_dir', inputs],
    inpaint: ['--mode', 'inpaint', '--input_dir', inputs, '--mask', maskFile],
  };
  for (const [name, args] of Object.entries(runs)) {
    const save = join(dir, `reference-${name}`);
    const result = await runCli(['sample', ...args, ...RUN, '--save_dir', save]);
    expect(result.stderr).toBe('');
    referencePngs.set(name, pngs(save));
  }
});

describe('fuzz: input images and masks', () => {
  test('each image decodes to the reference pixels, other valid pixels, or one line naming it (library)', async () => {
    const draws = makeDraws(FUZZ_SEED + 20);
    const tally = new FuzzTally('images (library)');
    for (let i = 0; i < LIBRARY_CASES; i++) {
      const draw = await fuzzImage(draws, referencePixels(1));
      const file = join(dir, imageName(`lib-${i}`, draw));
      place(file, draw);
      const gray = new Float32Array(SIDE * SIDE);
      let decoded = false;
      const problem = (await libraryVerdict(async () => {
        await decodeImage(file, SIDE, 1, gray, 0);
        decoded = true;
      }, expectsOf(draw))) ?? (await libraryVerdict(() => decodeImage(file, SIDE, 3, new Float32Array(3 * SIDE * SIDE), 0), expectsOf(draw)));
      let wrong: string | undefined;
      if (decoded && draw.broken) wrong = 'decoded a broken file';
      else if (decoded && draw.same && !gray.every((v, j) => v === reference[j])) wrong = 'pixels differ from the reference';
      tally.record(`#${i} ${draw.kind} (${file})`, problem ?? wrong, expectsOf(draw));
    }
    expect(tally.report()).toEqual([]);
  });

  test('reconstruction and sdedit give a result or one error line for each input image (CLI)', async () => {
    const draws = makeDraws(FUZZ_SEED + 21);
    const cases: CliCase[] = [];
    for (let i = 0; i < CLI_INPUT_CASES; i++) {
      const draw = await fuzzImage(draws, referencePixels(1));
      const folder = join(dir, `inputs-${i}`);
      mkdirSync(folder);
      place(join(folder, imageName('a', draw)), draw);
      copyFileSync(join(inputs, 'b.png'), join(folder, 'b.png'));
      const mode = i % 2 === 0 ? 'reconstruction' : 'sdedit';
      const save = join(dir, `inputs-${i}-out`);
      // A directory named a.png is skipped (not an image file), which leaves one input, not an error.
      const args = ['sample', '--mode', mode, '--input_dir', folder, ...RUN, '--save_dir', save];
      cases.push({ label: `#${i} ${mode}: ${draw.kind}`, args, expects: draw.bytes === undefined ? 'result' : expectsOf(draw), check: draw.bytes === undefined ? () => checkSamples(save, 1) : resultCheck(save, draw, mode) });
    }
    const tally = new FuzzTally('input images (CLI)');
    await runCliCases(tally, cases);
    expect(tally.report()).toEqual([]);
  });

  test('inpaint gives a result or one error line for each --mask file and --mask_dir (CLI)', async () => {
    const draws = makeDraws(FUZZ_SEED + 22);
    const cases: CliCase[] = [];
    for (let i = 0; i < CLI_MASK_CASES + CLI_MASK_DIR_CASES; i++) {
      const draw = await fuzzImage(draws, referencePixels(3));
      const save = join(dir, `masks-${i}-out`);
      const byDir = i >= CLI_MASK_CASES;
      let maskArgs: string[];
      // A --mask_dir without a.png's mask is refused, whatever the drawn image.
      let maskMissing = false;
      if (byDir) {
        // Masks take the inputs' names (a.png, b.png), whatever their format.
        const folder = join(dir, `masks-${i}`);
        mkdirSync(folder);
        maskMissing = draws.random() >= 0.9;
        if (!maskMissing) place(join(folder, 'a.png'), draw);
        copyFileSync(maskFile, join(folder, 'b.png'));
        maskArgs = ['--mask_dir', folder];
      } else {
        const file = join(dir, imageName(`mask-${i}`, draw));
        place(file, draw);
        maskArgs = ['--mask', file];
      }
      const args = ['sample', '--mode', 'inpaint', '--input_dir', inputs, ...maskArgs, ...RUN, '--save_dir', save];
      cases.push({ label: `#${i} ${byDir ? '--mask_dir' : '--mask'}: ${draw.kind}`, args, expects: maskMissing ? 'refusal' : expectsOf(draw), check: byDir ? () => checkSamples(save, 2) : resultCheck(save, draw, 'inpaint') });
    }
    const tally = new FuzzTally('masks (CLI)');
    await runCliCases(tally, cases);
    expect(tally.report()).toEqual([]);
  });
});
