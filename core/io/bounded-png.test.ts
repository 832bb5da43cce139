import { describe, expect, test } from 'bun:test';
import { deflateSync, inflateSync } from 'node:zlib';
import sharp from 'sharp';
import { chunk, handPng } from '../../test/support/fuzz-images.ts';
import { idatBombPng } from '../../test/support/png-bombs.ts';
import { MAX_DECODED_PIXELS, boundedPng, inflatedPngSize, readPngHeader } from './bounded-png.ts';
import { decodePng } from './png.ts';

/** The IDAT data of a PNG, concatenated. */
function idatOf(png: Uint8Array): Uint8Array {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const parts: Uint8Array[] = [];
  for (let at = 8; at < png.length; at += 12 + view.getUint32(at)) {
    if (String.fromCharCode(...png.subarray(at + 4, at + 8)) === 'IDAT') parts.push(png.subarray(at + 8, at + 8 + view.getUint32(at)));
  }
  return Buffer.concat(parts);
}

const noise = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 73 + (i >> 3) * 29) % 256));
const raw = (width: number, height: number, channels: 1 | 2 | 3 | 4) => sharp(noise(width * height * channels), { raw: { width, height, channels } });

const kinds: [string, () => Promise<Buffer>][] = [
  ['gray 13×7', () => raw(13, 7, 1).png().toBuffer()],
  ['gray 13×7, interlaced', () => raw(13, 7, 1).png({ progressive: true }).toBuffer()],
  ['RGBA 3×2, interlaced', () => raw(3, 2, 4).png({ progressive: true }).toBuffer()],
  ['RGB 16-bit 9×5, interlaced', () => raw(9, 5, 3).toColourspace('rgb16').png({ progressive: true }).toBuffer()],
  ['palette of 4 colours 11×6, interlaced', () => raw(11, 6, 3).png({ palette: true, colours: 4, progressive: true }).toBuffer()],
  ['palette of 2 colours 17×3', () => raw(17, 3, 3).png({ palette: true, colours: 2 }).toBuffer()],
];

describe('the inflated size a PNG header declares', () => {
  for (const [kind, make] of kinds) {
    test(`${kind}: exactly what its image data inflates to`, async () => {
      const png = await make();
      expect(inflatedPngSize(readPngHeader(png))).toBe(inflateSync(idatOf(png)).length);
    });
  }
});

describe('a bounded PNG', () => {
  test('decodes to the pixels sharp decodes, interlaced too', async () => {
    for (const progressive of [false, true]) {
      const image = raw(13, 7, 3);
      const png = await image.clone().png({ progressive }).toBuffer();
      const ours = decodePng(png, 'test.png');
      expect([ours.width, ours.height, ours.channels]).toEqual([13, 7, 3]);
      expect(Buffer.from(ours.data)).toEqual(await sharp(png).raw().toBuffer());
    }
  });

  test('stops inflating a decompression bomb where its size ends: 32×32 pixels out of a stream of 256 MiB', () => {
    const bomb = idatBombPng(32, 32, 256 << 20);
    const safe = boundedPng(bomb, 'bomb.png');
    expect(inflateSync(idatOf(safe)).length).toBe(32 * 33);
    const pixels = decodePng(bomb, 'bomb.png');
    expect([pixels.width, pixels.height, pixels.data.length, pixels.data.every((v) => v === 0)]).toEqual([32, 32, 1024, true]);
  });

  test('leaves out a compressed profile, so a bomb in iCCP is never inflated', () => {
    const profile = Uint8Array.from([...new TextEncoder().encode('icc'), 0, 0, ...deflateSync(new Uint8Array(64 << 20))]);
    const png = handPng(4, 4, new Uint8Array(4 * 5).fill(0), { extra: [chunk('iCCP', profile)] });
    expect(boundedPng(png).length).toBeLessThan(200);
    expect(decodePng(png).data.length).toBe(16);
  });

  test('refuses a size over the pixel budget from its header alone, naming the limit', () => {
    const huge = handPng(100_000, 100_000, new Uint8Array(10));
    expect(() => boundedPng(huge, 'huge.png')).toThrow(`cannot read image huge.png: its header declares 100000×100000 pixels, more than the ${MAX_DECODED_PIXELS} (4096×4096) an input may have`);
    expect(() => decodePng(handPng(8, 8, new Uint8Array(72)), 'small.png', 32)).toThrow('more than the 32');
  });

  test('refuses image data that is short, corrupt or missing, in one line', () => {
    const short = handPng(8, 8, new Uint8Array(8 * 9 - 1));
    expect(() => boundedPng(short, 'short.png')).toThrow('cannot read image short.png: its pixel data is shorter than its size says (71 of 72 bytes)');
    const png = handPng(8, 8, noise(72));
    const corrupt = Uint8Array.from(png);
    corrupt.fill(0xff, 41, 60);
    expect(() => boundedPng(corrupt, 'corrupt.png')).toThrow(/^cannot read image corrupt\.png: its pixel data (does not inflate \(|is shorter)/);
    expect(() => boundedPng(png.subarray(0, 50), 'cut.png')).toThrow('cannot read image cut.png: not a readable PNG (its IDAT chunk is cut short)');
    expect(() => boundedPng(handPng(8, 8, new Uint8Array(72), { colorType: 5 }), 'odd.png')).toThrow('PNG colour type 5 does not exist');
  });
});
