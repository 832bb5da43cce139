/**
 * The image modes over HTTP give the CLI's bytes: images (and masks) as multipart files or
 * base64 JSON, options per mode, and rows of different modes sharing the model's calls.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { HAS_FASHION_MNIST, writeFashionMnistPngs } from './support/fashion-mnist.ts';
import { tempDirSync } from './support/fixtures.ts';
import { type TestServer, resultPngs, startServer } from './support/server.ts';
import { cliPngs, json } from './support/server-answers.ts';

let server: TestServer;
let inputs: string;
let masks: string;
let names: string[];
const FAST = ['--n_samples', '3', '--skip_steps', '8', '--seed', '5', '--ddim_eta', '0.5'];
const FIELDS = { n_samples: 3, skip_steps: 8, seed: 5, ddim_eta: 0.5 };

/** A mask keeping the top half of the picture (white) and asking for the bottom (black). */
async function topHalfMask(file: string): Promise<void> {
  const pixels = Buffer.alloc(32 * 32, 0);
  pixels.fill(255, 0, 16 * 32);
  writeFileSync(file, await sharp(pixels, { raw: { width: 32, height: 32, channels: 1 } }).png().toBuffer());
}

beforeAll(async () => {
  server = await startServer();
  inputs = tempDirSync();
  masks = tempDirSync();
  await writeFashionMnistPngs(inputs, 3);
  names = readdirSync(inputs).sort();
  for (const name of names) await topHalfMask(join(masks, name));
});
afterAll(() => server.stop());

function multipart(fields: Record<string, unknown>, files: Record<string, string[]>): FormData {
  const form = new FormData();
  for (const [key, value] of Object.entries(fields)) form.append(key, typeof value === 'object' ? JSON.stringify(value) : String(value));
  for (const [field, paths] of Object.entries(files)) {
    for (const path of paths) form.append(field, new Blob([readFileSync(path)], { type: 'image/png' }), path.split('/').pop());
  }
  return form;
}

const CASES: { mode: string; cli: string[]; options?: Record<string, unknown>; masks?: boolean }[] = [
  { mode: 'sdedit', cli: ['sampler.options.sdedit.strength=0.6'], options: { sdedit: { strength: 0.6 } } },
  { mode: 'ilvr', cli: ['sampler.options.ilvr.factor=8'], options: { ilvr: { factor: 8 } } },
  { mode: 'inpaint', cli: ['sampler.options.inpaint.resample=2'], options: { inpaint: { resample: 2 } }, masks: true },
];

describe.skipIf(!HAS_FASHION_MNIST)('image modes over HTTP', () => {
  for (const { mode, cli, options, masks: withMasks } of CASES) {
    test(`${mode}: multipart and base64 JSON answers are the CLI's bytes`, async () => {
      const maskArgs = withMasks ? ['--mask_dir', masks] : [];
      const expected = await cliPngs(['sample', '--mode', mode, '--input_dir', inputs, ...maskArgs, ...FAST, ...cli]);
      const images = names.map((name) => join(inputs, name));
      const files: Record<string, string[]> = { images, ...(withMasks ? { masks: names.map((name) => join(masks, name)) } : {}) };
      const viaForm = await json(await server.post(`/v1/modes/${mode}`, multipart({ ...FIELDS, options }, files)));
      const base64 = (paths: string[]) => paths.map((path) => readFileSync(path).toString('base64'));
      const body = { ...FIELDS, options, images: base64(images), ...(withMasks ? { masks: base64(files.masks!) } : {}) };
      const viaJson = await json(await server.post(`/v1/${mode}`, body));
      for (const answer of [viaForm, viaJson]) {
        expect(answer.mode).toBe(mode);
        const pngs = resultPngs(answer);
        expect(pngs.length).toBe(3);
        pngs.forEach((png, i) => expect(png.equals(expected.pngs[i]!)).toBe(true));
      }
    });
  }

  test('trajectory: the answer is the CLI\'s bytes, with its option', async () => {
    const expected = await cliPngs(['sample', '--mode', 'trajectory', ...FAST, 'sampler.options.trajectory.every=3']);
    const answer = await json(await server.post('/v1/modes/trajectory', { ...FIELDS, options: { trajectory: { every: 3 } } }));
    resultPngs(answer).forEach((png, i) => expect(png.equals(expected.pngs[i]!)).toBe(true));
    expect(answer.images.length).toBe(3);
  });

  test('one mask for every image is the same as one per image; a wrong count is a 400 naming masks', async () => {
    const images = names.map((name) => readFileSync(join(inputs, name)).toString('base64'));
    const mask = readFileSync(join(masks, names[0]!)).toString('base64');
    const one = await json(await server.post('/v1/inpaint', { ...FIELDS, images, masks: [mask] }));
    const each = await json(await server.post('/v1/inpaint', { ...FIELDS, images, masks: [mask, mask, mask] }));
    expect(one.images).toEqual(each.images);
    const wrong = await server.post('/v1/inpaint', { ...FIELDS, images, masks: [mask, mask] });
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as { error: { field: string } }).error.field).toBe('masks');
    const none = await server.post('/v1/inpaint', { ...FIELDS, images });
    expect(none.status).toBe(400);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe('missing_masks');
  });

  test('requests of different modes in flight together share model calls and keep their own bytes', async () => {
    const images = names.map((name) => readFileSync(join(inputs, name)).toString('base64'));
    const bodies: [string, Record<string, unknown>][] = [
      ['/v1/sdedit', { ...FIELDS, images, options: { sdedit: { strength: 1 } } }],
      ['/v1/trajectory', { ...FIELDS }],
      ['/v1/sample', { ...FIELDS }],
    ];
    const alone = [];
    for (const [path, body] of bodies) alone.push((await json(await server.post(path, body))).images);
    const before = (await server.health()).scheduler.shared_calls;
    const together = await Promise.all(bodies.map(async ([path, body]) => (await json(await server.post(path, body))).images));
    expect(together).toEqual(alone);
    expect((await server.health()).scheduler.shared_calls).toBeGreaterThan(before);
  });
});
