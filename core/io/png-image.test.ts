import { describe, expect, test } from 'bun:test';
import sharp from 'sharp';
import { decodeImage } from './images.ts';
import { decodePngImage } from './png-image.ts';
import { decodePng } from './png.ts';

const SIZE = 32;
const pixels = (channels: number, seed: number) => Uint8Array.from({ length: SIZE * SIZE * channels }, (_, i) => (i * 97 + seed * 31 + ((i * i) >> 3)) & 255);

/** PNGs sharp writes: the variants a user may upload. */
const variants: Record<string, () => Promise<Uint8Array>> = {
  gray: () => sharp(pixels(1, 1), { raw: { width: SIZE, height: SIZE, channels: 1 } }).png().toBuffer(),
  'gray + alpha': () => sharp(pixels(2, 2), { raw: { width: SIZE, height: SIZE, channels: 2 } }).png().toBuffer(),
  rgb: () => sharp(pixels(3, 3), { raw: { width: SIZE, height: SIZE, channels: 3 } }).png().toBuffer(),
  rgba: () => sharp(pixels(4, 4), { raw: { width: SIZE, height: SIZE, channels: 4 } }).png().toBuffer(),
  palette: () => sharp(pixels(3, 5), { raw: { width: SIZE, height: SIZE, channels: 3 } }).png({ palette: true, colours: 16 }).toBuffer(),
  'rgb, 16 bits': () => sharp(pixels(3, 6), { raw: { width: SIZE, height: SIZE, channels: 3 } }).toColourspace('rgb16').png().toBuffer(),
  'gray, 16 bits': () => sharp(pixels(1, 7), { raw: { width: SIZE, height: SIZE, channels: 1 } }).toColourspace('grey16').png().toBuffer(),
};

async function both(png: Uint8Array, channels: number): Promise<[Float32Array, Float32Array]> {
  const ours = new Float32Array(channels * SIZE * SIZE);
  const native = new Float32Array(channels * SIZE * SIZE);
  await decodePngImage(png, SIZE, channels, ours, 0, 'test.png');
  await decodeImage(png, SIZE, channels, native, 0, 'test.png');
  return [ours, native];
}

/** Largest difference in levels (0..255) and the share of values that differ. */
function levels(a: Float32Array, b: Float32Array): { largest: number; share: number } {
  let largest = 0;
  let differing = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.round(Math.abs(a[i]! - b[i]!) * 127.5);
    if (d > 0) differing++;
    largest = Math.max(largest, d);
  }
  return { largest, share: differing / a.length };
}

describe('PNG inputs without sharp', () => {
  for (const [name, make] of Object.entries(variants)) {
    test(`${name}: the same values as sharp's decoder for an RGB model, within one level for a gray one`, async () => {
      const png = await make();
      const [rgbOurs, rgbNative] = await both(png, 3);
      expect(levels(rgbOurs, rgbNative).largest).toBe(0);
      const [grayOurs, grayNative] = await both(png, 1);
      const gray = levels(grayOurs, grayNative);
      expect(gray.largest).toBeLessThanOrEqual(1);
      if (!/rgb|palette/.test(name)) expect(gray.largest).toBe(0); // gray sources pass through
    });
  }

  test('another size, another format and an interlaced low-depth PNG are one-line errors', async () => {
    const small = await sharp(pixels(1, 1).subarray(0, 16 * 16), { raw: { width: 16, height: 16, channels: 1 } }).png().toBuffer();
    const out = new Float32Array(SIZE * SIZE);
    await expect(decodePngImage(small, SIZE, 1, out, 0, 'small.png')).rejects.toThrow('small.png: it is 16×16; on this runtime inputs must be 32×32 PNGs');
    const jpeg = await sharp(pixels(3, 3), { raw: { width: SIZE, height: SIZE, channels: 3 } }).jpeg().toBuffer();
    await expect(decodePngImage(jpeg, SIZE, 1, out, 0, 'photo.jpg')).rejects.toThrow('only PNG images are read on this runtime');
    const interlaced = await sharp(pixels(1, 1), { raw: { width: SIZE, height: SIZE, channels: 1 } }).png({ palette: true, colours: 4, progressive: true }).toBuffer();
    expect(interlaced[28]).toBe(1);
    expect(() => decodePng(interlaced, 'adam7.png')).toThrow(/adam7\.png: an interlaced PNG of [124] bits per sample/);
  });
});
