/**
 * Work is bounded by the request's deadline: server.request_timeout_ms runs from the
 * request's arrival through reading its body and decoding its uploads; decoding stops
 * between images once the client leaves or the deadline passes; and the pixels a request
 * brings to decode take queue room (server.max_queued_pixels), so a few huge uploads
 * cannot hold the service.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { prepareRequest } from '../server/prepare-request.ts';
import type { RequestBody } from '../server/request-schemas.ts';
import { type ImageDecoder, uploadImageSource } from '../server/upload-images.ts';
import { gradientPng, imagesForm, openSocket, postHead, watch } from './support/hostile-client.ts';
import { type TestServer, startServer } from './support/server.ts';

const TIMEOUT_MS = 1500;
/** Uploads of SIDE² pixels: 8 of them take several deadlines to decode on this machine. */
const SIDE = 4096;
let server: TestServer;
let big: Uint8Array;

beforeAll(async () => {
  server = await startServer({
    overrides: [`server.request_timeout_ms=${TIMEOUT_MS}`, 'server.max_body_bytes=33554432', `server.max_queued_pixels=${8 * SIDE * SIDE}`],
  });
  big = await gradientPng(SIDE);
});
afterAll(() => server.stop());

const sdedit = (count: number) => imagesForm({ seed: 1, skip_steps: 100, options: { sdedit: { strength: 0.5 } } }, big, count);

describe('server.request_timeout_ms', () => {
  test('counts while the body is still arriving: a body slower than the deadline gets 504', async () => {
    const socket = await openSocket(server.url);
    const seen = watch(socket);
    socket.write(postHead('/v1/sample', { 'content-type': 'application/json', 'content-length': 1000 }));
    const drip = setInterval(() => socket.destroyed || socket.write(' '), 200);
    const answered = await seen.received(/^HTTP\/1\.1 504/, TIMEOUT_MS + 10_000);
    clearInterval(drip);
    socket.destroy();
    expect(answered).toBe(true);
    expect(seen.text()).toContain('server.request_timeout_ms');
  });

  test('covers decoding the uploads: 504, counted as a timeout, nothing left in flight', async () => {
    const before = (await server.health()).requests.cancelled.timeout;
    // 8 × 4096² fills the pixel budget.
    const response = await server.post('/v1/modes/sdedit', sdedit(8));
    expect(response.status).toBe(504);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('timeout');
    const health = await server.health();
    expect(health.requests.cancelled.timeout).toBe(before + 1);
    expect(health.in_flight).toEqual({ requests: 0, samples: 0 });
    expect(server.service.queuedPixels).toBe(0);
  });
});

describe('decoding uploads', () => {
  test('stops between images once the signal aborts', async () => {
    const host = server.service.pipeline.host;
    let decoded = 0;
    const controller = new AbortController();
    const counting: ImageDecoder = {
      imageSize: (bytes, name) => host.imageSize(bytes, name),
      async decodeImage(...args) {
        await host.decodeImage(...args);
        if (++decoded === 2) controller.abort('client');
      },
    };
    const uploads = Array.from({ length: 6 }, (_, i) => ({ field: `images[${i}]`, name: `${i}.png`, bytes: big }));
    const source = uploadImageSource(counting, uploads, 28, 1);
    expect(await source.measure(6)).toBe(6 * SIDE * SIDE);
    await expect(source.decode(6, controller.signal)).rejects.toBe('client');
    expect(decoded).toBe(2);
  });
});

describe('server.max_queued_pixels', () => {
  test('uploads over the budget in one request are 413 naming images; over what is left, 429 with Retry-After', async () => {
    const tooMany = await server.post('/v1/modes/sdedit', sdedit(9));
    expect(tooMany.status).toBe(413);
    expect(((await tooMany.json()) as { error: unknown }).error).toMatchObject({ code: 'too_many_pixels', field: 'images' });

    // Hold most of the budget with an admitted request whose uploads are not decoded yet.
    const { pipeline } = server.service;
    const uploads = Array.from({ length: 6 }, (_, i) => ({ field: `images[${i}]`, name: `${i}.png`, bytes: big }));
    const body = { seed: 1, skip_steps: 100, options: { sdedit: { strength: 0.5 } } } as RequestBody;
    const held = server.service.admit(await prepareRequest(pipeline, pipeline.registry.get('mode', 'sdedit', 'mode'), body, { images: uploads, masks: [] }));
    try {
      expect(server.service.queuedPixels).toBe(6 * SIDE * SIDE);
      const refused = await server.post('/v1/modes/sdedit', sdedit(3));
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(((await refused.json()) as { error: { message: string } }).error.message).toContain('server.max_queued_pixels');
    } finally {
      held.release();
    }
    expect(server.service.queuedPixels).toBe(0);
  });
});

describe('admission by model time', () => {
  test('no more work is admitted than the model can finish within server.request_timeout_ms: 429 with Retry-After', async () => {
    const { pipeline } = server.service;
    // 64 samples × 1000 steps (skip_steps counts the steps taken): 64,000 rows, far more than
    // the model runs in 1.5 s on any CPU, admitted because it is alone.
    const body = { n_samples: 64, skip_steps: 1000 } as RequestBody;
    const prepared = await prepareRequest(pipeline, pipeline.registry.get('mode', 'sample', 'mode'), body, { images: [], masks: [] });
    expect(prepared.work).toBe(64 * 1000);
    const held = server.service.admit(prepared);
    try {
      const refused = await server.post('/v1/sample', { n_samples: 1, skip_steps: 100 });
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(((await refused.json()) as { error: { message: string } }).error.message).toContain('server.request_timeout_ms');
    } finally {
      held.release();
    }
    // Alone again, the same request is admitted.
    const small = await prepareRequest(pipeline, pipeline.registry.get('mode', 'sample', 'mode'), { n_samples: 1, skip_steps: 100 } as RequestBody, { images: [], masks: [] });
    server.service.admit(small).release();
  });
});
