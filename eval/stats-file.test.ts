import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../core/errors.ts';
import { featureStats } from './feature-stats.ts';
import { readStatsFile, writeStatsFile } from './stats-file.ts';
import { seededRandom } from '../test/support/eval-fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'ddim-stats-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const rng = seededRandom(12);
const stats = featureStats(Float64Array.from({ length: 50 * 6 }, () => rng.normal() / 3), 50, 6);

describe('stats files', () => {
  test('round-trip the mean and covariance bit for bit, with their provenance', async () => {
    const path = join(dir, 'stats.json');
    const model = { file: 'm.onnx', sha256: 'abc', output: 'features', input: [1, 32, 32], inputRange: [-1, 1] };
    await writeStatsFile(path, { stats, model, accuracy: 0.5, createdBy: 'a test' });
    const back = readStatsFile(path);
    expect(back.stats.count).toBe(50);
    expect(back.stats.dim).toBe(6);
    expect(Array.from(back.stats.mean)).toEqual(Array.from(stats.mean));
    expect(Array.from(back.stats.cov)).toEqual(Array.from(stats.cov));
    expect(back.model).toEqual(model);
    expect(back.accuracy).toBe(0.5);
    // plain JSON that other tools can read: the covariance as rows
    expect(JSON.parse(readFileSync(path, 'utf8')).cov[2]).toEqual(Array.from(stats.cov.subarray(12, 18)));
  });

  test('name the file and key of what is wrong', async () => {
    const path = join(dir, 'bad.json');
    await writeStatsFile(path, { stats });
    const good = JSON.parse(readFileSync(path, 'utf8'));
    const cases: [unknown, RegExp][] = [
      [{ ...good, mean: good.mean.slice(1) }, /bad\.json: mean: expected 6 numbers \(dim\), got 5/],
      [{ ...good, cov: good.cov.slice(1) }, /cov: expected 6 rows, got 5/],
      [{ ...good, cov: good.cov.map((row: number[], i: number) => (i === 3 ? row.slice(2) : row)) }, /cov\.3: expected 6 numbers/],
      [{ ...good, cov: good.cov.map((row: number[], i: number) => (i === 4 ? row.map((x, j) => (j === 1 ? x + 1 : x)) : row)) }, /not symmetric at \[4\]\[1\]/],
      [{ ...good, format: 'npz' }, /format: expected "ddim-feature-stats"/],
      [{ ...good, count: 1 }, /count: expected >=2/],
    ];
    for (const [content, message] of cases) {
      writeFileSync(path, JSON.stringify(content));
      expect(() => readStatsFile(path)).toThrow(message);
    }
    writeFileSync(path, '{"format": ');
    expect(() => readStatsFile(path)).toThrow(UserError);
    expect(() => readStatsFile(join(dir, 'missing.json'))).toThrow(/cannot read stats file/);
  });
});
