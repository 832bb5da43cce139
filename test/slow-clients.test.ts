/**
 * Slow clients are cut off on every socket adapter: headers and bodies have deadlines
 * (server.header_timeout_ms, server.body_timeout_ms), a refused request with a body is
 * closed without its body being read, past server.max_connections a request gets a 503,
 * and 200 slow connections leave /v1/health fast. The Workers-style handler owns no socket:
 * under `deno serve` it still answers a slow body 408 at the deadline.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { type Socket } from 'node:net';
import { healthTime, openSocket, postHead, watch } from './support/hostile-client.ts';
import { ADAPTERS, startAdapter } from './support/hostile-servers.ts';
import type { Served } from './support/serve-process.ts';

const HEADER_MS = 2000;
const BODY_MS = 3000;
const SLOW = 200;
const TOKEN = 'slow-clients-token';
const OVERRIDES = [`server.header_timeout_ms=${HEADER_MS}`, `server.body_timeout_ms=${BODY_MS}`, `server.max_connections=${SLOW}`];
const CASE_MS = 60_000;
/** Loopback on a busy 2-core machine: deadlines are checked with this much room. */
const SLACK_MS = 3000;
const auth = { authorization: `Bearer ${TOKEN}` };

/** A connection that sent `head` and drips one body byte every `everyMs` until it is closed. */
async function dripping(base: string, head: string, everyMs = 500) {
  const socket = await openSocket(base);
  const seen = watch(socket);
  socket.write(head);
  const timer = setInterval(() => socket.destroyed || socket.write('x'), everyMs);
  const started = performance.now();
  return {
    seen,
    socket,
    /** Whether the server closed it within `ms`, its first line, and when. */
    async closedWithin(ms: number) {
      const closed = await seen.closed(ms);
      clearInterval(timer);
      return { closed, status: seen.text().split('\r\n')[0], afterMs: performance.now() - started };
    },
    end(): void {
      clearInterval(timer);
      (socket as Socket).destroy();
    },
  };
}

const slowPost = (headers: Record<string, string | number> = {}) =>
  postHead('/v1/sample', { ...auth, 'content-type': 'application/json', 'content-length': 100_000, ...headers });

for (const adapter of ADAPTERS) {
  describe(`${adapter}: slow clients`, () => {
    let served: Served;
    beforeAll(async () => {
      served = await startAdapter(adapter, OVERRIDES, TOKEN);
    }, CASE_MS);
    afterAll(async () => {
      await served?.stop();
    });

    test('a body slower than server.body_timeout_ms is answered 408', async () => {
      const client = await dripping(served.url, slowPost());
      const answered = await client.seen.received(/^HTTP\/1\.1 408/, BODY_MS + SLACK_MS);
      client.end();
      expect(answered).toBe(true);
      expect(client.seen.text()).toContain('server.body_timeout_ms');
    }, CASE_MS);

    // The Workers-style handler never sees the socket: under deno serve, Deno.serve keeps it open.
    if (adapter === 'workers') return;

    test('and its connection is closed', async () => {
      const client = await dripping(served.url, slowPost());
      const result = await client.closedWithin(BODY_MS + SLACK_MS);
      expect(result).toMatchObject({ closed: true, status: 'HTTP/1.1 408 Request Timeout' });
    }, CASE_MS);

    test('a request refused before its body (401, 413) is closed without reading the rest', async () => {
      const unauthorized = await dripping(served.url, slowPost({ authorization: 'Bearer wrong' }));
      const tooLarge = await dripping(served.url, slowPost({ 'content-length': 1_000_000_000 }));
      expect(await unauthorized.closedWithin(SLACK_MS)).toMatchObject({ closed: true, status: 'HTTP/1.1 401 Unauthorized' });
      expect(await tooLarge.closedWithin(SLACK_MS)).toMatchObject({ closed: true, status: 'HTTP/1.1 413 Payload Too Large' });
    }, CASE_MS);

    test('headers that never end are cut off', async () => {
      const client = await dripping(served.url, 'POST /v1/sample HTTP/1.1\r\nhost: 127.0.0.1\r\nx-slow: ');
      // Bun's HTTP server has its own fixed header deadline (about 10 s), not configurable.
      const result = await client.closedWithin(adapter === 'bun' ? 20_000 : HEADER_MS + SLACK_MS);
      expect(result.closed).toBe(true);
    }, CASE_MS);

    test(`${SLOW} slow bodies: past server.max_connections a 503, health stays fast, all closed at the body deadline`, async () => {
      const clients = await Promise.all(Array.from({ length: SLOW }, () => dripping(served.url, slowPost(), 1000)));
      await Bun.sleep(1000);
      const extra = await dripping(served.url, slowPost());
      const refused = await extra.closedWithin(SLACK_MS);
      expect(refused).toMatchObject({ closed: true, status: 'HTTP/1.1 503 Service Unavailable' });
      expect(extra.seen.text().toLowerCase()).toContain('retry-after: 1');
      const latencies: number[] = [];
      const closing = Promise.all(clients.map((client) => client.closedWithin(BODY_MS + SLACK_MS + 2000)));
      let done = false;
      void closing.then(() => (done = true));
      while (!done) {
        const { status, ms } = await healthTime(served.url);
        expect(status).toBe(200);
        latencies.push(ms);
        await Bun.sleep(200);
      }
      const results = await closing;
      expect(results.filter((r) => !r.closed)).toEqual([]);
      expect(new Set(results.map((r) => r.status))).toEqual(new Set(['HTTP/1.1 408 Request Timeout']));
      expect(latencies.length).toBeGreaterThan(5);
      // Generous: the point is "not held behind the slow clients" (seconds), not a speed figure.
      expect(Math.max(...latencies)).toBeLessThan(1500);
      expect(served.exitCode()).toBeNull();
    }, CASE_MS);
  });
}
