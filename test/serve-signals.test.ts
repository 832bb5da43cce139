/**
 * A second SIGTERM while `ddim serve` drains (or winds down after it) does not change the
 * exit code: two signals 0.3 s apart on an idle server still exit 0, on every runtime.
 */
import { describe, expect, test } from 'bun:test';
import { type CliRuntime, cliCommand } from './support/cli.ts';
import { ROOT } from './support/paths.ts';
import { serveProcess } from './support/serve-process.ts';

const DENO_PERMISSIONS = ['--allow-read', '--allow-env', '--allow-ffi', '--allow-net=127.0.0.1'];

describe('ddim serve and a second SIGTERM', () => {
  for (const runtime of ['bun', 'node', 'deno'] as const satisfies readonly CliRuntime[]) {
    test(`${runtime}: two SIGTERMs 0.3 s apart on an idle server exit 0`, async () => {
      const served = await serveProcess([...cliCommand(runtime, DENO_PERMISSIONS), 'serve', '--port', '0', '--host', '127.0.0.1', '--quiet'], {
        cwd: ROOT,
        env: { ...process.env, NO_COLOR: '1' },
      });
      expect((await fetch(`${served.url}/v1/health`)).status).toBe(200);
      const exited = served.stop(30_000);
      await Bun.sleep(300);
      served.signal('SIGTERM');
      expect(await exited).toBe(0);
      expect(served.log()).toContain('shut down: 0 request(s) finished, 0 cancelled');
    }, 60_000);
  }
});
