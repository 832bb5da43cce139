import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readIdx } from './idx-file.ts';
import { idxImageSource } from './idx-image-source.ts';
import { idxBytes } from '../test/support/eval-fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'ddim-idx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readIdx', () => {
  test('reads images and labels, gzipped or not', () => {
    const pixels = Uint8Array.from({ length: 3 * 4 * 5 }, (_, i) => i);
    writeFileSync(join(dir, 'images.gz'), gzipSync(idxBytes([3, 4, 5], pixels)));
    writeFileSync(join(dir, 'labels'), idxBytes([3], Uint8Array.of(7, 0, 9)));
    const images = readIdx(join(dir, 'images.gz'));
    expect(images.dims).toEqual([3, 4, 5]);
    expect(Array.from(images.data)).toEqual(Array.from(pixels));
    expect(Array.from(readIdx(join(dir, 'labels')).data)).toEqual([7, 0, 9]);
  });

  test('refuses other files and truncated data', () => {
    writeFileSync(join(dir, 'short'), idxBytes([3, 4, 5], new Uint8Array(59)));
    expect(() => readIdx(join(dir, 'short'))).toThrow(/promises \[3,4,5\] = 60 bytes of data, found 59/);
    writeFileSync(join(dir, 'text'), 'hello world');
    expect(() => readIdx(join(dir, 'text'))).toThrow(/not an unsigned-byte idx file/);
    expect(() => readIdx(join(dir, 'missing'))).toThrow(/cannot read idx file/);
  });
});

describe('idxImageSource', () => {
  test('frames each image with black pixels and maps bytes to [-1, 1] like a PNG', async () => {
    // two 2×2 images: 0,255,128,64 and all 255; with pad 1 they become 4×4
    writeFileSync(join(dir, 'tiny'), idxBytes([2, 2, 2], Uint8Array.of(0, 255, 128, 64, 255, 255, 255, 255)));
    const source = idxImageSource(readIdx(join(dir, 'tiny')), join(dir, 'tiny'), 4, 1, 1);
    expect(source.count).toBe(2);
    const out = new Float32Array(2 * 16);
    await source.read(0, 2, out);
    const v = (b: number) => Math.fround(b / 127.5 - 1);
    const first = [0, 0, 0, 0, 0, 0, 255, 0, 0, 128, 64, 0, 0, 0, 0, 0].map(v);
    expect(Array.from(out.subarray(0, 16))).toEqual(first);
    expect(Array.from(out.subarray(16)).filter((x) => x === 1)).toHaveLength(4);
    expect(source.names[1]).toBe('tiny[1]');
  });

  test('replicates grayscale into three channels for an RGB model', async () => {
    writeFileSync(join(dir, 'one'), idxBytes([1, 2, 2], Uint8Array.of(10, 20, 30, 40)));
    const out = new Float32Array(3 * 4);
    await idxImageSource(readIdx(join(dir, 'one')), 'one', 2, 3, 0).read(0, 1, out);
    const plane = Array.from(out.subarray(0, 4));
    expect(plane).toEqual([10, 20, 30, 40].map((b) => Math.fround(b / 127.5 - 1)));
    expect(Array.from(out.subarray(4, 8))).toEqual(plane);
    expect(Array.from(out.subarray(8, 12))).toEqual(plane);
  });
});
