/**
 * A user's clone has only the repository: no test, helper or fixture may read the team's folder
 * beside it (`../shared`). The check reads every test source for a path that leaves the repository.
 */
import { describe, expect, test } from 'bun:test';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT } from './support/paths.ts';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'fixtures' && dir === join(ROOT, 'test')) return [];
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|tsx|mjs|js)$/.test(name) ? [path] : [];
  });
}

describe('the suite is self-contained', () => {
  const testFiles = [...sourceFiles(join(ROOT, 'test')), ...sourceFiles(join(ROOT, 'core')), ...sourceFiles(join(ROOT, 'examples'))]
    .filter((path) => (path.includes(`${join(ROOT, 'test')}/`) || path.endsWith('.test.ts')) && path !== import.meta.path);

  test('finds the test sources it checks', () => {
    expect(testFiles.length).toBeGreaterThan(40);
  });

  test('no test file reads the team folder ../shared', () => {
    const offenders = testFiles.filter((path) => /\.\.\/shared\b|['"`]shared\/|DDIM_SHARED/.test(readFileSync(path, 'utf8')))
      .map((path) => relative(ROOT, path));
    expect(offenders).toEqual([]);
  });
});
