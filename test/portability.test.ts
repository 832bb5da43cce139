/**
 * The core pipeline imports no Bun-only API: one parity case through the library API
 * under Node (TypeScript via tsx) and under Deno 2, both installed from npm.
 */
import { describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { PARITY, ROOT } from './support/fixtures.ts';

const SCRIPT = join(ROOT, 'test/support/parity-case.ts');
const CASE = join(PARITY, 'sample_quad20');

async function runScript(command: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = Bun.spawn(command, { cwd: ROOT, stdout: 'pipe', stderr: 'pipe', env: { ...process.env, NO_COLOR: '1' } });
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  return { code, stdout, stderr };
}

const runtimes: Record<string, string[]> = {
  node: ['node', '--import', 'tsx', SCRIPT, CASE],
  deno: [join(ROOT, 'node_modules/.bin/deno'), 'run', '--allow-read', '--allow-env', '--allow-ffi', '--allow-sys', SCRIPT, CASE],
  bun: ['bun', SCRIPT, CASE],
};

describe('portability of the core pipeline', () => {
  for (const [runtime, command] of Object.entries(runtimes)) {
    test(`${runtime} reproduces a parity case through the library API`, async () => {
      const result = await runScript(command);
      expect(result.stderr).not.toContain('Error');
      expect(result.code).toBe(0);
      const report = JSON.parse(result.stdout.trim().split('\n').at(-1)!);
      expect(report.timestepsMatch).toBe(true);
      expect(report.values).toBe(report.expected);
      expect(report.maxDiff).toBeLessThanOrEqual(1e-3);
    });
  }

  test('only cli.ts and the runtime adapters use Bun APIs', async () => {
    const glob = new Bun.Glob('{core,plugins}/**/*.ts');
    const offenders: string[] = [];
    for await (const file of glob.scan(ROOT)) {
      if (file.endsWith('.test.ts')) continue;
      const text = await Bun.file(join(ROOT, file)).text();
      if (/\bBun\.|from ['"]bun['"]|from ['"]bun:/.test(text)) offenders.push(file);
    }
    expect(offenders).toEqual([]);
  });
});
