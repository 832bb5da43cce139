/**
 * Ctrl-C and SIGTERM stop `ddim sample`: an ordinary run stops gracefully after its current
 * step (the supervisor forwards the signal to the sampling child), and a run whose plugin
 * never yields is killed by the supervisor within 2 s. Each test tells the two paths apart
 * by the message each one prints.
 */
import { describe, expect, test } from 'bun:test';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { STOP_GRACE_MS } from '../cli/supervise.ts';
import { GRACEFUL_STOP, KILLED, cliCommand } from './support/cli.ts';
import { ROOT, tempDirSync } from './support/fixtures.ts';

const PLUGIN = join(ROOT, 'test/fixtures/plugins/never-yields.ts');

async function waitFor(file: string, timeoutMs: number): Promise<void> {
  const until = performance.now() + timeoutMs;
  while (!existsSync(file)) {
    if (performance.now() > until) throw new Error(`${file} did not appear within ${timeoutMs} ms`);
    await Bun.sleep(20);
  }
}

describe('signals during an ordinary run', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    test(`${signal} is forwarded to the sampling child, which stops after its step, well before the supervisor's kill deadline`, async () => {
      const dir = tempDirSync();
      const args = ['sample', '--n_samples', '64', '--micro_batch', '4', '--skip_steps', '20', '--save_dir', dir, '--quiet'];
      const child = Bun.spawn([...cliCommand(), ...args], { cwd: ROOT, stdout: 'pipe', stderr: 'pipe' });
      await waitFor(join(dir, '0.png'), 60_000);
      const sent = performance.now();
      child.kill(signal);
      const code = await child.exited;
      const ms = performance.now() - sent;
      const stderr = await new Response(child.stderr).text();
      // Without forwarding, the child runs on until the supervisor kills it, which prints KILLED.
      expect(stderr).not.toContain(KILLED);
      expect(stderr).toContain(GRACEFUL_STOP);
      expect(code).toBe(130);
      expect(ms).toBeLessThan(STOP_GRACE_MS);
      expect(readdirSync(dir).filter((f) => f.endsWith('.png')).length).toBeLessThan(64);
    });
  }
});

describe('signals while a plugin blocks the thread', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    test(`${signal} stops the run within 2 s through the supervisor's kill, keeping the finished image`, async () => {
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
      // The forwarded signal cannot run a handler in a thread that never yields: the kill stopped it.
      expect(stderr).toContain(KILLED);
      expect(stderr).not.toContain('    at ');
      expect((await sharp(join(dir, '0.png')).metadata()).width).toBe(32);
    });
  }
});
