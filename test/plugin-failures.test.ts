/** A plugin that throws, hangs or returns malformed data fails its own request (or run) alone. */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { expectUserError, runCli } from './support/cli.ts';
import { ROOT, tempDirSync } from './support/fixtures.ts';
import { type TestServer, startServer } from './support/server.ts';

const MODULE = join(ROOT, 'test/fixtures/plugins/misbehaving.ts');

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ overrides: [`plugins=[${MODULE}]`, 'server.request_timeout_ms=1500'] });
});
afterAll(() => server.stop());

async function errorOf(response: Response): Promise<{ status: number; code: string; message: string }> {
  const body = (await response.json()) as { error: { status: number; code: string; message: string } };
  expect(body.error.status).toBe(response.status);
  return body.error;
}

describe('misbehaving plugins over HTTP', () => {
  test('each fails its request with a JSON error, and the service goes on serving', async () => {
    const body = { n_samples: 1, skip_steps: 2 };
    const thrown = await errorOf(await server.post('/v1/modes/throws', body));
    expect(thrown).toMatchObject({ status: 500, code: 'internal' });
    const malformed = await errorOf(await server.post('/v1/modes/malformed', body));
    expect(malformed.status).toBe(500);
    expect(malformed.code).toBe('plugin_error');
    expect(malformed.message).toContain('plugin "malformed": mode yielded a malformed batch');
    const started = performance.now();
    const hung = await errorOf(await server.post('/v1/modes/hangs', body));
    expect(hung.status).toBe(504);
    expect(performance.now() - started).toBeLessThan(10_000);
    const endless = await errorOf(await server.post('/v1/sample', { ...body, skip_type: 'endless' }));
    expect(endless.status).toBe(400);
    expect(endless.message).toContain('at most total_steps (1000)');
    const fine = await server.post('/v1/sample', body, { accept: 'image/png' });
    expect(fine.status).toBe(200);
    const health = await server.health();
    expect(health.in_flight).toEqual({ requests: 0, samples: 0 });
    expect(health.requests.cancelled.timeout).toBe(1);
  });
});

describe('misbehaving plugins in the CLI', () => {
  test('a malformed batch is one line naming the plugin, exit 1; too many timesteps is a user error', async () => {
    const dir = tempDirSync();
    const malformed = await runCli(['sample', '--plugin', MODULE, '--mode', 'malformed', '--n_samples', '1', '--skip_steps', '2', '--save_dir', dir, '--quiet']);
    expect(malformed.exitCode).toBe(1);
    expect(malformed.stderr.trim().split('\n')).toEqual([expect.stringContaining('error: plugin "malformed": mode yielded a malformed batch')]);
    const endless = await runCli(['sample', '--plugin', MODULE, '--skip_type', 'endless', '--n_samples', '1', '--save_dir', dir, '--quiet']);
    expectUserError(endless, 'schedule "endless" returned 1001 entries');
  });
});
