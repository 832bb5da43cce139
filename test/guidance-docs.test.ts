/**
 * Every ```sh command of docs/GUIDANCE.md runs as shown, from the repository root, and
 * writes what the page says (its save_dirs are under out/guidance-docs, removed before and after).
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseNpy } from '../core/io/npy.ts';
import { ROOT } from './support/fixtures.ts';

const PAGE = join(ROOT, 'docs/GUIDANCE.md');
const OUT = join(ROOT, 'out/guidance-docs');

/** The lines of the page's ```sh blocks, in order. */
function shellCommands(markdown: string): string[] {
  const blocks = [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return blocks.flatMap((block) => block.split('\n').filter((line) => line.trim() !== ''));
}

describe('docs/GUIDANCE.md', () => {
  rmSync(OUT, { recursive: true, force: true });
  afterAll(() => rmSync(OUT, { recursive: true, force: true }));
  const commands = shellCommands(readFileSync(PAGE, 'utf8'));

  test('shows commands to run', () => {
    expect(commands.length).toBeGreaterThanOrEqual(5);
  });

  for (const command of commands) {
    test(`runs: ${command}`, () => {
      const result = spawnSync('bash', ['-c', command], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
      expect(result.stderr.split('\n').filter((line) => line.startsWith('error')).join('\n')).toBe('');
      expect(result.status).toBe(0);
    });
  }

  test('wrote what the page says: class{c}/{idx}.png, and samples.npy of the --class run', () => {
    for (let c = 0; c < 10; c++) for (const idx of [0, 1]) expect(existsSync(join(OUT, 'each', `class${c}`, `${idx}.png`))).toBe(true);
    expect(existsSync(join(OUT, 'each', 'SHA256SUMS'))).toBe(true);
    expect(parseNpy(readFileSync(join(OUT, 'cat', 'samples.npy'))).shape).toEqual([4, 3, 16, 16]);
    expect(existsSync(join(OUT, 'interpolate', '0.png'))).toBe(true);
  });
});
