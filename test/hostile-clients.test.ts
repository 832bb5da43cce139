/**
 * No client can end the process: on every adapter (Bun, Node, Deno, the Workers-style
 * handler under `deno serve`), clients hang up while sending headers, mid-body, while their
 * uploads are decoded, while queued behind a long run, while running, and while streaming
 * events, several times each; the server then still answers /v1/health and a normal
 * request, counted every disconnect it noticed, and logged no unhandled rejection.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { type Health, eventually } from './support/server.ts';
import { encodedBody, gradientPng, imagesForm, openSocket, postHead, sendAndHangUp, watch } from './support/hostile-client.ts';
import { ADAPTERS, startAdapter } from './support/hostile-servers.ts';
import type { Served } from './support/serve-process.ts';

const REPEATS = 3;
const CASE_MS = 60_000;
/**
 * Room for a few requests of 16 uploads of 2048² (64 Mi pixels each) at once, and a timeout long
 * enough that admission by model time never refuses these few runs on a busy machine.
 */
const OVERRIDES = ['server.max_body_bytes=33554432', 'server.max_queued_pixels=268435456', 'server.request_timeout_ms=600000'];
const SMALL = { n_samples: 1, seed: 3, skip_steps: 100 };
const LONG = { n_samples: 8, seed: 3, skip_steps: 10 };

const health = async (base: string): Promise<Health> => {
  const response = await fetch(`${base}/v1/health`);
  expect(response.status).toBe(200);
  return (await response.json()) as Health;
};

/** A complete JSON POST as raw bytes. */
async function jsonRequest(path: string, body: unknown, accept = 'application/json'): Promise<Uint8Array[]> {
  const { bytes, type } = await encodedBody(JSON.stringify(body));
  return [new TextEncoder().encode(postHead(path, { 'content-type': type, accept, 'content-length': bytes.length })), bytes];
}

/** The server still serves: health, then one normal request with its PNG. */
async function expectServing(served: Served): Promise<void> {
  expect(served.exitCode()).toBeNull();
  await health(served.url);
  const response = await fetch(`${served.url}/v1/sample`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'image/png' },
    body: JSON.stringify(SMALL),
  });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('image/png');
  expect((await response.arrayBuffer()).byteLength).toBeGreaterThan(0);
}

/** Waits until nothing is in flight, and returns how many client disconnects were counted so far. */
async function settledClientCancels(base: string): Promise<number> {
  const settled = await eventually(() => health(base), (h) => h.in_flight.requests === 0, 50);
  return settled.requests.cancelled.client;
}

/** Client disconnects counted once `expected` are, or after 20 s with whatever came: the caller compares. */
async function clientCancelsReaching(base: string, expected: number): Promise<number> {
  const until = Date.now() + 20_000;
  for (;;) {
    const count = await settledClientCancels(base);
    if (count >= expected || Date.now() > until) return count;
    await Bun.sleep(100);
  }
}

for (const adapter of ADAPTERS) {
  describe(`${adapter}: clients that hang up`, () => {
    let served: Served;
    let decodeBody: { bytes: Uint8Array; type: string };

    beforeAll(async () => {
      served = await startAdapter(adapter, OVERRIDES);
      decodeBody = await encodedBody(imagesForm({ seed: 3, skip_steps: 10, options: { sdedit: { strength: 0.9 } } }, await gradientPng(2048), 16));
    }, CASE_MS);
    afterAll(async () => {
      await served?.stop();
    });

    test('while sending headers', async () => {
      for (let i = 0; i < REPEATS; i++) await sendAndHangUp(served.url, ['POST /v1/sample HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-'], 50);
      await expectServing(served);
    }, CASE_MS);

    test('mid-body', async () => {
      const before = await settledClientCancels(served.url);
      for (let i = 0; i < REPEATS; i++) {
        const head = postHead('/v1/modes/sdedit', { 'content-type': decodeBody.type, 'content-length': decodeBody.bytes.length });
        await sendAndHangUp(served.url, [head, decodeBody.bytes.subarray(0, decodeBody.bytes.length >> 1)], 100);
      }
      expect(await clientCancelsReaching(served.url, before + REPEATS)).toBe(before + REPEATS);
      await expectServing(served);
    }, CASE_MS);

    test('while its uploads are decoded', async () => {
      const before = await health(served.url);
      for (let i = 0; i < REPEATS; i++) {
        const head = postHead('/v1/modes/sdedit', { 'content-type': decodeBody.type, 'content-length': decodeBody.bytes.length, accept: 'application/json' });
        await sendAndHangUp(served.url, [head, decodeBody.bytes], 150);
      }
      // Each left during decoding or the run after it: either way the server noticed and stopped it.
      await expectHangUpsHandled(before);
      await expectServing(served);
    }, CASE_MS);

    /**
     * Every hang-up since `before` was noticed and its work cancelled. Under deno serve (Deno.serve) a hang-up
     * is not reported once a request came in several packets: the handler cannot know, and such a run ends
     * on its own (server.request_timeout_ms bounds it). There, every one of them has ended.
     */
    async function expectHangUpsHandled(before: Health): Promise<void> {
      if (adapter !== 'workers') {
        const expected = before.requests.cancelled.client + REPEATS;
        expect(await clientCancelsReaching(served.url, expected)).toBe(expected);
        return;
      }
      const ended = (h: Health) => h.requests.completed + h.requests.cancelled.client - before.requests.completed - before.requests.cancelled.client;
      expect(ended(await eventually(() => health(served.url), (h) => ended(h) >= REPEATS && h.in_flight.requests === 0, 100))).toBe(REPEATS);
    }

    test('while queued behind a long run', async () => {
      await settledClientCancels(served.url);
      const long = fetch(`${served.url}/v1/sample`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(LONG) });
      const before = await health(served.url);
      for (let i = 0; i < REPEATS; i++) await sendAndHangUp(served.url, await jsonRequest('/v1/sample', { ...LONG, seed: 10 + i }), 100);
      expect((await long).status).toBe(200);
      // The long run itself completed: not one of the hang-ups.
      await expectHangUpsHandled({ ...before, requests: { ...before.requests, completed: before.requests.completed + 1 } });
      await expectServing(served);
    }, CASE_MS);

    test('while running', async () => {
      await settledClientCancels(served.url);
      const before = await health(served.url);
      // Hang up once the run has made model calls (a fixed wait could end before a loaded machine
      // had even read the request, which is another phase).
      for (let i = 0; i < REPEATS; i++) {
        const calls = (await health(served.url)).scheduler.model_calls;
        await sendAndHangUp(served.url, await jsonRequest('/v1/sample', LONG), () =>
          eventually(() => health(served.url), (h) => h.scheduler.model_calls > calls, 20));
      }
      await expectHangUpsHandled(before);
      await expectServing(served);
    }, CASE_MS);

    test('while streaming events', async () => {
      const before = await settledClientCancels(served.url);
      for (let i = 0; i < REPEATS; i++) {
        const socket = await openSocket(served.url);
        const seen = watch(socket);
        for (const part of await jsonRequest('/v1/sample', LONG, 'text/event-stream')) socket.write(part);
        expect(await seen.received(/event: progress/, 30_000)).toBe(true);
        socket.resetAndDestroy();
      }
      expect(await clientCancelsReaching(served.url, before + REPEATS)).toBe(before + REPEATS);
      await expectServing(served);
      expect(served.log()).not.toMatch(/Unhandled|AbortedError|uncaught/i);
    }, CASE_MS);
  });
}
