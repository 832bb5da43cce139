import { describe, expect, test } from 'bun:test';
import { resolve } from 'node:path';
import { resolvePath } from './paths.ts';

describe('resolvePath', () => {
  test('agrees with node:path resolve, relative bases included', () => {
    const cases: [string, string][] = [
      ['/a/b', 'c.onnx'],
      ['/a/b', '../c/./d.yaml'],
      ['/a/b', '/abs/x'],
      ['/', '../../x'],
      ['rel/dir', 'x.npy'],
      ['.', '../up.png'],
      ['/a/b/', './'],
    ];
    for (const [base, path] of cases) expect(resolvePath(base, path)).toBe(resolve(base, path));
  });
});
