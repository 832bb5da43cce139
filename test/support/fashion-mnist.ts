/** Fashion-MNIST test images as the shipped model saw its data: 28×28 padded with 2 black pixels to 32×32 PNGs. */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { type NpyArray, parseNpy } from '../../core/io/npy.ts';
import { readIdx } from '../../eval/idx-file.ts';

/** Debian's dataset-fashion-mnist package. */
export const FASHION_MNIST_TEST_IMAGES = '/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz';
export const HAS_FASHION_MNIST = existsSync(FASHION_MNIST_TEST_IMAGES);

/** Write test images [first, first+count) into dir as 00.png, 01.png, … (sorted = index order), or as `fileOf(i)` names. */
export async function writeFashionMnistPngs(dir: string, count: number, first = 0, fileOf = (i: number) => `${String(i).padStart(2, '0')}.png`): Promise<void> {
  const { dims, data } = readIdx(FASHION_MNIST_TEST_IMAGES);
  const [, height, width] = dims as [number, number, number];
  for (let i = 0; i < count; i++) {
    const pixels = data.subarray((first + i) * height * width, (first + i + 1) * height * width);
    await sharp(Buffer.from(pixels), { raw: { width, height, channels: 1 } })
      .extend({ top: 2, bottom: 2, left: 2, right: 2, background: { r: 0, g: 0, b: 0 } })
      .toColourspace('b-w')
      .png()
      .toFile(join(dir, fileOf(i)));
  }
}

/** The float32 rows of a run's samples.npy. */
export function readSamples(dir: string): NpyArray {
  const npy = parseNpy(readFileSync(join(dir, 'samples.npy')));
  return npy;
}

/** The PNGs of a folder in name order, as one-channel images in [−1, 1] (the CLI's input mapping for 8-bit gray). */
export async function readGrayPngs(dir: string): Promise<Float32Array[]> {
  const names = readdirSync(dir).filter((name) => name.endsWith('.png')).sort();
  return Promise.all(
    names.map(async (name) => {
      const pixels = await sharp(join(dir, name)).extractChannel(0).raw().toBuffer();
      return Float32Array.from(pixels, (byte) => byte / 127.5 - 1);
    }),
  );
}
