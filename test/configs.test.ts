/** Every config shipped in configs/ loads and validates as it is. */
import { describe, expect, test } from 'bun:test';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../index.ts';
import { ROOT } from './support/fixtures.ts';

const dir = join(ROOT, 'configs');

describe('configs/', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));

  test('holds example configs', () => {
    expect(files.length).toBeGreaterThanOrEqual(3);
  });

  for (const file of files) {
    test(`${file} loads without warnings`, () => {
      const warnings: string[] = [];
      const config = loadConfig(join(dir, file), { onWarning: (w) => warnings.push(w) });
      expect(warnings).toEqual([]);
      expect(config.data.img_size).toBe(32);
      expect(config.diffusion.params.skip_steps).toBeGreaterThan(0);
    });
  }
});
