/**
 * The edge module facing clients on a shared edge, under `deno serve` (started by the
 * documented `bun run serve:edge`) and under workerd (the Workers layout): bearer auth from
 * DDIM_TOKEN, the edge's small defaults and limits, health answered while a run is in
 * flight, a client that hangs up stops its run (and the others go on), and SIGTERM to
 * `bun run serve:edge` leaves no Deno runtime behind.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { buildEdge } from '../edge/build.ts';
import { EDGE_DEFAULTS } from '../edge/edge-defaults.ts';
import { type EdgeServer, serveEdge, serveWorkerd } from './support/edge-runtimes.ts';
import { tempDirSync } from './support/fixtures.ts';

const TOKEN = 'edge-test-token';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const servers: Record<string, EdgeServer> = {};

beforeAll(async () => {
  const [edge, workers] = await Promise.all([
    buildEdge({ outdir: tempDirSync('ddim-edge-hostile-') }),
    buildEdge({ target: 'workers', outdir: tempDirSync('ddim-workers-hostile-') }),
  ]);
  servers.deno = await serveEdge(edge.outdir, { DDIM_TOKEN: TOKEN });
  servers.workerd = await serveWorkerd(workers.outdir, { DDIM_TOKEN: TOKEN });
}, 120_000);

afterAll(async () => {
  await Promise.all(Object.values(servers).map((server) => server.stop()));
});

interface Health {
  in_flight: { requests: number; samples: number };
  requests: { completed: number; cancelled: { client: number } };
  scheduler: { model_calls: number; max_batch: number };
  limits: Record<string, unknown>;
}

const sample = (base: string, body: unknown, options: { headers?: Record<string, string>; signal?: AbortSignal } = {}) =>
  fetch(`${base}/v1/sample`, {
    method: 'POST',
    signal: options.signal,
    headers: { 'content-type': 'application/json', accept: 'application/json', ...(options.headers ?? AUTH) },
    body: JSON.stringify(body),
  });
const health = async (base: string): Promise<Health> => (await (await fetch(`${base}/v1/health`)).json()) as Health;

async function until(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await Bun.sleep(25);
  }
  return false;
}

for (const runtime of ['deno', 'workerd'] as const) {
  describe(`the edge module under ${runtime}`, () => {
    const base = () => servers[runtime]!.url;

    test('takes its bearer token from DDIM_TOKEN: health is open, a run needs the token', async () => {
      expect((await fetch(`${base()}/v1/health`)).status).toBe(200);
      const none = await sample(base(), { n_samples: 1, skip_steps: 2 }, { headers: {} });
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toContain('Bearer');
      expect((await sample(base(), { n_samples: 1, skip_steps: 2 }, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
      const ok = await sample(base(), { n_samples: 1, skip_steps: 2 });
      expect(ok.status).toBe(200);
      expect(((await health(base())).limits as { auth: boolean }).auth).toBe(true);
    }, 120_000);

    test('runs small by default and refuses what a shared edge should not run', async () => {
      const { limits, scheduler } = await health(base());
      expect(limits).toMatchObject(EDGE_DEFAULTS.server);
      expect(scheduler.max_batch).toBe(1);
      const plain = await sample(base(), {});
      expect(plain.status).toBe(200);
      const body = (await plain.json()) as { count: number; timesteps: number[] };
      expect(body.count).toBe(EDGE_DEFAULTS.sampler.n_samples);
      expect(body.timesteps).toHaveLength(50); // the model's own default step count
      const many = await sample(base(), { n_samples: EDGE_DEFAULTS.server.max_samples_per_request + 1 });
      expect([many.status, ((await many.json()) as { error: { code: string } }).error.code]).toEqual([413, 'too_many_samples']);
      const long = await sample(base(), { skip_steps: EDGE_DEFAULTS.server.max_steps_per_request + 1 });
      expect([long.status, ((await long.json()) as { error: { code: string } }).error.code]).toEqual([413, 'too_many_steps']);
    }, 120_000);

    test('answers GET /v1/health while a run is in flight', async () => {
      let running = true;
      const run = sample(base(), { n_samples: 4, skip_steps: 50 }).then((response) => {
        running = false;
        return response.status;
      });
      await until(async () => (await health(base())).in_flight.requests > 0, 30_000);
      const latencies: number[] = [];
      while (running) {
        const started = performance.now();
        await fetch(`${base()}/v1/health`);
        if (running) latencies.push(performance.now() - started);
        await Bun.sleep(50);
      }
      expect(await run).toBe(200);
      latencies.sort((a, b) => a - b);
      const median = latencies[latencies.length >> 1] ?? Infinity;
      console.log(`${runtime}: ${latencies.length} health answers during a 4x50-step run, median ${median.toFixed(0)} ms, max ${latencies.at(-1)?.toFixed(0)} ms`);
      // Before the run yielded between model calls, health waited for the whole run (0 or 1 answers).
      expect(latencies.length).toBeGreaterThanOrEqual(10);
      expect(median).toBeLessThan(1_000); // a model call is ~35 ms; generous for a loaded machine
    }, 120_000);

    test('a client that hangs up stops its run; a run beside it and the next request are served', async () => {
      const before = await health(base());
      const leaving = new AbortController();
      // 4 samples x 50 steps: 200 model calls at the edge's max_batch 1, far longer than the wait
      // below, yet within half the request timeout even on a loaded machine, so admission by model
      // time lets the run beside it in (with 16 samples a busy machine refused it 429).
      const left = sample(base(), { n_samples: 4, skip_steps: 50, seed: 1 }, { signal: leaving.signal }).catch(() => 'aborted');
      await until(async () => (await health(base())).scheduler.model_calls > before.scheduler.model_calls + 3, 60_000);
      const beside = sample(base(), { n_samples: 1, skip_steps: 5, seed: 2 });
      await Bun.sleep(100);
      leaving.abort();
      expect(await left).toBe('aborted');
      const gone = performance.now();
      const noticed = await until(async () => (await health(base())).requests.cancelled.client > before.requests.cancelled.client, 10_000);
      console.log(`${runtime}: hang-up noticed after ${(performance.now() - gone).toFixed(0)} ms`);
      expect(noticed).toBe(true);
      expect((await beside).status).toBe(200);
      expect(await until(async () => (await health(base())).in_flight.requests === 0, 10_000)).toBe(true);
      const calls = (await health(base())).scheduler.model_calls;
      await Bun.sleep(500);
      expect((await health(base())).scheduler.model_calls).toBe(calls); // nothing runs for the left request
      expect((await sample(base(), { n_samples: 1, skip_steps: 2 })).status).toBe(200);
    }, 120_000);
  });
}

describe('bun run serve:edge', () => {
  test('execs the Deno runtime itself: SIGTERM to the command stops it and leaves no process behind', async () => {
    const { process: command } = servers.deno!;
    const children = readFileSync(`/proc/${command.pid}/task/${command.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    expect(children).toHaveLength(1);
    const deno = children[0]!;
    expect(readFileSync(`/proc/${deno}/cmdline`, 'utf8').split('\0')[0]).toMatch(/\/deno$/);
    await servers.deno!.stop();
    delete servers.deno;
    const alive = () => {
      try {
        return !/^State:\s+Z/m.test(readFileSync(`/proc/${deno}/status`, 'utf8')); // a zombie has stopped
      } catch {
        return false; // gone
      }
    };
    expect(await until(async () => !alive(), 10_000)).toBe(true);
  }, 60_000);
});
