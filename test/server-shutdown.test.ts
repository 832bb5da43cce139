/**
 * `ddim serve` as a user starts it, and SIGTERM: stop accepting, finish (or, past the
 * grace period, cancel) the requests in flight, exit 0.
 */
import { describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { ROOT } from './support/fixtures.ts';
import { nextEvent, sseEvents } from './support/server.ts';

interface Served {
  readonly url: string;
  readonly child: ReturnType<typeof Bun.spawn>;
  /** Resolves when stderr shows `text`; everything stderr said so far. */
  waitFor(text: string): Promise<string>;
  log(): string;
}

async function serve(args: string[], env: Record<string, string> = {}): Promise<Served> {
  const child = Bun.spawn(['bun', join(ROOT, 'cli.ts'), 'serve', '--port', '0', '--host', '127.0.0.1', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdout: 'pipe',
    stderr: 'pipe',
  });
  let log = '';
  const waiters: { text: string; wake: () => void }[] = [];
  void (async () => {
    const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      log += value;
      for (const waiter of waiters.filter((w) => log.includes(w.text))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.wake();
      }
    }
    for (const waiter of waiters.splice(0)) waiter.wake();
  })();
  const waitFor = (text: string) =>
    new Promise<string>((resolve) => {
      if (log.includes(text)) resolve(log);
      else waiters.push({ text, wake: () => resolve(log) });
    });
  const started = await waitFor('listening on ');
  const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(started)?.[1];
  if (!url) throw new Error(`the server did not start: ${log}`);
  return { url, child, waitFor, log: () => log };
}

const post = (url: string, body: unknown, accept = 'application/json') =>
  fetch(`${url}/v1/sample`, { method: 'POST', headers: { 'content-type': 'application/json', accept }, body: JSON.stringify(body) });

describe('ddim serve', () => {
  test('a body far over server.max_body_bytes gets the JSON 413, counted as rejected', async () => {
    const server = await serve(['server.max_body_bytes=2000']);
    try {
      const response = await fetch(`${server.url}/v1/sample`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(200_000) });
      expect(response.status).toBe(413);
      expect(response.headers.get('content-type')).toStartWith('application/json');
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
      const health = (await (await fetch(`${server.url}/v1/health`)).json()) as { requests: { rejected: number } };
      expect(health.requests.rejected).toBe(1);
    } finally {
      server.child.kill('SIGTERM');
      await server.child.exited;
    }
  });

  test('on SIGTERM it stops accepting, lets the request in flight finish, and exits 0', async () => {
    const server = await serve(['server.shutdown_grace_ms=30000']);
    const stream = await post(server.url, { n_samples: 1, seed: 1, skip_steps: 30 }, 'text/event-stream');
    const events = sseEvents(stream);
    await nextEvent(events, 'progress');
    server.child.kill('SIGTERM');
    await server.waitFor('no longer accepting');
    // New connections are refused while the request in flight goes on.
    expect(await fetch(`${server.url}/v1/health`).then(() => 'served', () => 'refused')).toBe('refused');
    let last = '';
    for await (const event of events) last = event.event;
    expect(last).toBe('result');
    expect(await server.child.exited).toBe(0);
    expect(server.log()).toContain('shut down: 1 request(s) finished, 0 cancelled');
  });

  test('past the grace period the requests in flight are cancelled with 503, and it still exits 0', async () => {
    const server = await serve(['server.shutdown_grace_ms=100']);
    const pending = post(server.url, { n_samples: 1, skip_steps: 1000 });
    const health = async () => (await (await fetch(`${server.url}/v1/health`)).json()) as { in_flight: { requests: number } };
    while ((await health()).in_flight.requests === 0) await Bun.sleep(10);
    server.child.kill('SIGTERM');
    const response = await pending;
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('shutting_down');
    expect(await server.child.exited).toBe(0);
    expect(server.log()).toContain('0 request(s) finished, 1 cancelled');
  });

  test('with server.auth_token_env set, the token comes from that variable, and it must be set', async () => {
    const server = await serve(['server.auth_token_env=DDIM_TEST_TOKEN', '--quiet'], { DDIM_TEST_TOKEN: 'tok-123' });
    try {
      expect(server.log()).toContain('bearer auth');
      expect((await post(server.url, { n_samples: 1 })).status).toBe(401);
      const ok = await fetch(`${server.url}/v1/plugins`, { headers: { authorization: 'Bearer tok-123' } });
      expect(ok.status).toBe(200);
    } finally {
      server.child.kill('SIGTERM');
      expect(await server.child.exited).toBe(0);
    }
    const child = Bun.spawn(['bun', join(ROOT, 'cli.ts'), 'serve', '--port', '0', 'server.auth_token_env=DDIM_UNSET_TOKEN'], {
      cwd: ROOT,
      env: { ...process.env, DDIM_UNSET_TOKEN: '' },
      stderr: 'pipe',
    });
    expect(await child.exited).toBe(2);
    expect(await new Response(child.stderr).text()).toContain('DDIM_UNSET_TOKEN is not set');
  });

  test('bad flags fail before anything starts', async () => {
    const child = Bun.spawn(['bun', join(ROOT, 'cli.ts'), 'serve', '--port', 'http'], { cwd: ROOT, stderr: 'pipe' });
    expect(await child.exited).toBe(2);
    expect(await new Response(child.stderr).text()).toBe('error: --port: expected a port number in 0..65535, got "http"\n');
  });
});
