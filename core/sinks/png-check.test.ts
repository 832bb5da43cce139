import { describe, expect, test } from 'bun:test';
import { idatBombPng } from '../../test/support/png-bombs.ts';
import { encodePng } from '../io/png.ts';
import { checkPng } from './png-check.ts';

describe('checkPng', () => {
  test('passes a PNG this toolkit writes', async () => {
    expect(checkPng(await encodePng(new Uint8Array(32 * 32), 32, 32, 1), { width: 32, height: 32, channels: 1 })).toBeUndefined();
  });

  test('refuses image data that inflates past the picture, without inflating it all (a 512 MiB bomb)', () => {
    const before = process.memoryUsage().rss;
    expect(checkPng(idatBombPng(32, 32, 512 * 2 ** 20), { width: 32, height: 32, channels: 1 })).toBe('image data holds more than the 1056 bytes expected');
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 2 ** 20);
  });
});
