/**
 * The service under concurrent load: step-level batching must not change any result,
 * the queue limit answers 429, and disconnects and timeouts cancel work.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type TestServer, eventually, nextEvent, resultPngs, sseEvents, startServer } from './support/server.ts';
import { runCli } from './support/cli.ts';
import { tempDirSync } from './support/fixtures.ts';

type Request = { path: string; body: Record<string, unknown> };

async function pngsOf(server: TestServer, request: Request): Promise<Buffer[]> {
  const response = await server.post(request.path, request.body);
  expect(response.status).toBe(200);
  return resultPngs((await response.json()) as { images: { index: number; png: string }[] });
}

describe('step-level batching across requests', () => {
  let server: TestServer;
  let inputs: string[];

  beforeAll(async () => {
    // A small max_batch, so requests are split over calls and share them at different steps.
    server = await startServer({ overrides: ['server.max_batch=3'] });
    const dir = tempDirSync();
    await runCli(['sample', '--n_samples', '2', '--seed', '9', '--skip_steps', '3', '--save_dir', dir, '--quiet']);
    inputs = readdirSync(dir)
      .filter((f) => f.endsWith('.png'))
      .sort()
      .map((f) => readFileSync(join(dir, f)).toString('base64'));
  });
  afterAll(() => server.stop());

  test('every request gives the same bytes alone and under concurrent load', async () => {
    const requests: Request[] = [
      { path: '/v1/sample', body: { n_samples: 4, seed: 1, ddim_eta: 0.5, skip_steps: 8 } },
      { path: '/v1/sample', body: { n_samples: 1, seed: 2, skip_type: 'quad', skip_steps: 5 } },
      { path: '/v1/interpolate', body: { n_samples: 1, n_interpolate: 3, seed: 3, skip_steps: 6 } },
      { path: '/v1/reconstruction', body: { images: inputs, seed: 4, skip_steps: 5 } },
      { path: '/v1/sample', body: { n_samples: 2, seed: 1, ddim_eta: 0.5, skip_steps: 8 } },
      { path: '/v1/sample', body: { n_samples: 1, seed: 7, ddim_eta: 1, skip_type: 'trailing', skip_steps: 7 } },
    ];
    const alone: Buffer[][] = [];
    for (const request of requests) alone.push(await pngsOf(server, request));
    const before = await server.health();
    const together = await Promise.all(requests.map((request) => pngsOf(server, request)));
    const after = await server.health();
    expect(together).toEqual(alone);
    // Samples 0 and 1 of a seed do not depend on how many samples the request made either.
    expect(alone[4]).toEqual(alone[0]!.slice(0, 2));
    // Under load, calls did carry rows of several requests at different timesteps.
    expect(after.scheduler.shared_calls).toBeGreaterThan(before.scheduler.shared_calls);
    expect(after.scheduler.mixed_calls).toBeGreaterThan(before.scheduler.mixed_calls);
    expect(after.scheduler.largest_batch).toBe(3);
  });

  test('a request that joins another one mid-run shares its model calls and still matches its solo result', async () => {
    const late: Request = { path: '/v1/sample', body: { n_samples: 1, seed: 21, ddim_eta: 0.3, skip_steps: 10 } };
    const solo = await pngsOf(server, late);
    const leave = new AbortController();
    const long = await server.post('/v1/sample', { n_samples: 2, seed: 20, skip_steps: 200 }, { accept: 'text/event-stream' }, leave.signal);
    const events = sseEvents(long);
    // Wait until the long request is past its first step, then send the short one.
    await nextEvent(events, 'progress');
    const before = await server.health();
    const joined = await pngsOf(server, late);
    const after = await server.health();
    // The long one is still running: it was not cut short to make room.
    expect((await nextEvent(events, 'progress')).data).toMatchObject({ steps: 200 });
    leave.abort();
    expect(joined).toEqual(solo);
    expect(after.scheduler.mixed_calls - before.scheduler.mixed_calls).toBeGreaterThan(0);
  });
});

describe('load limits and cancellation', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ overrides: ['server.max_queued_samples=4'] });
  });
  afterAll(() => server.stop());

  test('a full queue answers 429 with Retry-After; a client that leaves cancels its work and frees the room', async () => {
    const controller = new AbortController();
    const long = await server.post('/v1/sample', { n_samples: 4, skip_steps: 1000 }, { accept: 'text/event-stream' }, controller.signal);
    const events = sseEvents(long);
    expect((await events.next()).value?.event).toBe('accepted');
    expect((await server.health()).in_flight).toEqual({ requests: 1, samples: 4 });

    const refused = await server.post('/v1/sample', { n_samples: 1, skip_steps: 3 });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('queue_full');

    controller.abort();
    const health = await eventually(server.health, (h) => h.in_flight.requests === 0);
    expect(health.requests.cancelled.client).toBe(1);
    // It stopped early: 4 samples x 1000 steps were never run.
    expect(health.scheduler.rows).toBeLessThan(4 * 1000);
    const rows = health.scheduler.rows;
    const served = await server.post('/v1/sample', { n_samples: 1, skip_steps: 3 }, { accept: 'image/png' });
    expect(served.status).toBe(200);
    expect((await server.health()).scheduler.rows).toBe(rows + 4);
  });

  test('a JSON request whose client disconnects is cancelled too', async () => {
    const before = (await server.health()).requests.cancelled.client;
    const controller = new AbortController();
    const pending = server.post('/v1/sample', { n_samples: 2, skip_steps: 1000 }, {}, controller.signal).catch((error: Error) => error);
    await eventually(server.health, (h) => h.scheduler.queued_rows > 0 || h.in_flight.requests === 1);
    controller.abort();
    expect(await pending).toBeInstanceOf(Error);
    const health = await eventually(server.health, (h) => h.in_flight.requests === 0);
    expect(health.requests.cancelled.client).toBe(before + 1);
  });

  test('a request past request_timeout_ms is cancelled with 504 (JSON) or an error event (SSE)', async () => {
    const quick = await startServer({ model: server.service.pipeline.model, overrides: ['server.request_timeout_ms=100'] });
    try {
      const response = await quick.post('/v1/sample', { n_samples: 1, skip_steps: 1000 });
      expect(response.status).toBe(504);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('timeout');
      const stream = await quick.post('/v1/sample', { n_samples: 1, skip_steps: 1000 }, { accept: 'text/event-stream' });
      const events = [];
      for await (const event of sseEvents(stream)) events.push(event);
      expect(events.at(-1)).toMatchObject({ event: 'error', data: { error: { status: 504, code: 'timeout' } } });
      const health = await quick.health();
      expect(health.requests.cancelled.timeout).toBe(2);
      expect(health.in_flight.requests).toBe(0);
    } finally {
      await quick.stop();
    }
  });
});
