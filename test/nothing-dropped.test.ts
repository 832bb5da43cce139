/**
 * Nothing is dropped in silence: files passed over in --input_dir, fewer results than
 * n_samples asks for, masks resized and cropped: one warning line each in the CLI (and in
 * run.json), a `warnings` entry in the server's answer.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import * as v from 'valibot';
import { ResultSchema } from '../server/response-schemas.ts';
import { runCli } from './support/cli.ts';
import { PARITY, TINY_MODEL, tempDirSync } from './support/fixtures.ts';
import { type TestServer, startServer } from './support/server.ts';
import { json } from './support/server-answers.ts';

const CONFIG = join(PARITY, 'reconstruction_uniform20', 'config.yaml');
const INPUTS = join(PARITY, 'reconstruction_uniform20', 'inputs');
const FAST = ['-c', CONFIG, '--weights', TINY_MODEL, '--skip_steps', '3', '--quiet'];
const inputCount = readdirSync(INPUTS).filter((name) => name.endsWith('.png')).length;

/** A white (keep everything) picture of width × height. */
const whitePng = (width: number, height: number, channels: 1 | 3 = 3) =>
  sharp(Buffer.alloc(width * height * channels, 255), { raw: { width, height, channels } }).png().toBuffer();

const warningLines = (stderr: string) => stderr.split('\n').filter((line) => line.startsWith('warning: '));
const runRecord = (dir: string) => JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as { warnings?: string[] };

describe('the CLI says what it passed over', () => {
  test('a file in --input_dir that is not an image: one warning naming it, the images still run', async () => {
    const dir = tempDirSync();
    const inputs = join(dir, 'in');
    mkdirSync(inputs);
    for (const name of readdirSync(INPUTS)) copyFileSync(join(INPUTS, name), join(inputs, name));
    writeFileSync(join(inputs, 'notes.txt'), 'not an image');
    const out = join(dir, 'out');
    const result = await runCli(['sample', ...FAST, '--mode', 'reconstruction', '--input_dir', inputs, '--n_samples', String(inputCount), '--save_dir', out]);
    expect(result.exitCode).toBe(0);
    expect(warningLines(result.stderr)).toEqual([`warning: input_dir ${inputs}: passed over 1 file that is not .png, .jpg, .jpeg or .webp: notes.txt`]);
    expect(runRecord(out).warnings).toEqual([warningLines(result.stderr)[0]!.slice('warning: '.length)]);
  }, 120_000);

  test('--n_samples 9 with fewer inputs: one warning saying how many results it writes', async () => {
    const out = join(tempDirSync(), 'out');
    const result = await runCli(['sample', ...FAST, '--mode', 'reconstruction', '--input_dir', INPUTS, '--n_samples', '9', '--save_dir', out]);
    expect(result.exitCode).toBe(0);
    expect(warningLines(result.stderr)).toEqual([`warning: n_samples 9: mode "reconstruction" has ${inputCount} input images, so it writes ${inputCount} results`]);
    expect(readdirSync(out).filter((name) => name.endsWith('.png')).length).toBe(inputCount);
  }, 120_000);

  test('a 17×9 mask: one warning that it is resized and cropped; a mask of the model\'s size gets none', async () => {
    const dir = tempDirSync();
    writeFileSync(join(dir, 'odd.png'), await whitePng(17, 9));
    writeFileSync(join(dir, 'fits.png'), await whitePng(32, 32));
    const args = ['sample', ...FAST, '--mode', 'inpaint', '--input_dir', INPUTS, '--n_samples', String(inputCount)];
    const odd = await runCli([...args, '--mask', join(dir, 'odd.png'), '--save_dir', join(dir, 'a')]);
    expect(odd.exitCode).toBe(0);
    expect(warningLines(odd.stderr)).toEqual([
      `warning: mask ${join(dir, 'odd.png')} (17×9) is not 32×32: resized (short side to 32) and center-cropped, so a mask of another shape loses its edges`,
    ]);
    const fits = await runCli([...args, '--mask', join(dir, 'fits.png'), '--save_dir', join(dir, 'b')]);
    expect([fits.exitCode, fits.stderr]).toEqual([0, '']);
    expect(runRecord(join(dir, 'b')).warnings).toBeUndefined();
  }, 120_000);
});

describe('the server answers what it passed over in `warnings`', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.stop());

  test('fewer results than n_samples and a resized mask are listed; a plain request has none', async () => {
    const image = (await whitePng(32, 32, 1)).toString('base64');
    const mask = (await whitePng(17, 9, 1)).toString('base64');
    const answer = await json(await server.post('/v1/inpaint', { n_samples: 3, skip_steps: 2, images: [image, image], masks: [mask] }));
    expect(v.is(ResultSchema, answer)).toBe(true);
    expect(answer.count).toBe(2);
    expect(answer.warnings).toEqual([
      'n_samples 3: mode "inpaint" has 2 input images, so it writes 2 results',
      expect.stringMatching(/^mask .* \(17×9\) is not 32×32: resized \(short side to 32\) and center-cropped/),
    ]);
    const plain = await json(await server.post('/v1/sample', { n_samples: 1, skip_steps: 2 }));
    expect(v.is(ResultSchema, plain)).toBe(true);
    expect(plain.warnings).toEqual([]);
  }, 120_000);
});
