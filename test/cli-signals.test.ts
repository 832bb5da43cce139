/** Ctrl-C and SIGTERM stop `ddim sample` within 2 s even while plugin code never yields. */
import { describe, expect, test } from 'bun:test';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { cliCommand } from './support/cli.ts';
import { ROOT, tempDirSync } from './support/fixtures.ts';

const PLUGIN = join(ROOT, 'test/fixtures/plugins/never-yields.ts');

async function waitFor(file: string, timeoutMs: number): Promise<void> {
  const until = performance.now() + timeoutMs;
  while (!existsSync(file)) {
    if (performance.now() > until) throw new Error(`${file} did not appear within ${timeoutMs} ms`);
    await Bun.sleep(20);
  }
}

describe('signals while a plugin blocks the thread', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    test(`${signal} stops the run within 2 s, keeping the finished image`, async () => {
      const dir = tempDirSync();
      const args = ['sample', '--plugin', PLUGIN, '--mode', 'never-yields', '--n_samples', '3', '--skip_steps', '2', '--save_dir', dir, '--quiet'];
      const child = Bun.spawn([...cliCommand(), ...args], { cwd: ROOT, stdout: 'pipe', stderr: 'pipe' });
      await waitFor(join(dir, '0.png'), 60_000);
      await Bun.sleep(500); // the mode is now spinning
      const sent = performance.now();
      child.kill(signal);
      const code = await child.exited;
      const seconds = (performance.now() - sent) / 1000;
      const stderr = await new Response(child.stderr).text();
      expect(seconds).toBeLessThan(2);
      expect(code).toBe(130);
      expect(stderr).toContain('finished images are kept');
      expect(stderr).not.toContain('    at ');
      expect((await sharp(join(dir, '0.png')).metadata()).width).toBe(32);
    });
  }
});
