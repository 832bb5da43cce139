/**
 * server.ts is web standards only: the same app on the Node adapter (@hono/node-server) and
 * the Deno adapter (Deno.serve) gives the bytes it gives under Bun, and `ddim serve` itself
 * starts, answers and drains on SIGTERM under each runtime.
 */
import { afterAll, beforeAll, describe, expect, setSystemTime, test } from 'bun:test';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Pipeline, createPipeline, loadConfig } from '../index.ts';
import { createApp } from '../server.ts';
import { type CliRuntime, DENO, cliCommand } from './support/cli.ts';
import { DEFAULT_CONFIG, ROOT } from './support/fixtures.ts';

const SCRIPT = join(ROOT, 'test/support/serve-runtime.ts');
const DENO_SERVE_PERMISSIONS = ['--allow-read', '--allow-env', '--allow-ffi', '--allow-net=127.0.0.1'];
const runtimes: Record<string, string[]> = {
  node: ['node', '--import', 'tsx', SCRIPT],
  deno: [DENO, 'run', ...DENO_SERVE_PERMISSIONS, SCRIPT],
};
const REQUEST = { n_samples: 1, seed: 7, skip_steps: 3 };

let pipeline: Pipeline;
let expectedSha: string;

beforeAll(async () => {
  pipeline = await createPipeline(loadConfig(DEFAULT_CONFIG));
  // The reference: the app called directly (app.request, no socket) under Bun.
  const response = await createApp({ pipeline }).request('/v1/sample', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'image/png' },
    body: JSON.stringify(REQUEST),
  });
  expect(response.status).toBe(200);
  expectedSha = createHash('sha256').update(new Uint8Array(await response.arrayBuffer())).digest('hex');
});
afterAll(() => pipeline.dispose());

const sha256 = async (response: Response) => createHash('sha256').update(new Uint8Array(await response.arrayBuffer())).digest('hex');

describe('the app on the Node and Deno adapters', () => {
  for (const [runtime, command] of Object.entries(runtimes)) {
    test(`${runtime}: the same PNG, the same 400, the same event stream`, async () => {
      const child = Bun.spawn(command, { cwd: ROOT, stdout: 'pipe', stderr: 'pipe', env: { ...process.env, NO_COLOR: '1' } });
      const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
      expect(stderr).not.toContain('Error');
      expect(code).toBe(0);
      const report = JSON.parse(stdout.trim().split('\n').at(-1)!);
      expect(report.runtime).toBe(runtime);
      expect(report.port).toBeGreaterThan(0);
      expect(report.png).toEqual({ status: 200, type: 'image/png', sha256: expectedSha });
      expect(report.bad).toMatchObject({ status: 400, body: { error: { code: 'invalid_field', field: 'n_samples' } } });
      expect(report.events).toEqual(['accepted', 'progress', 'progress', 'progress', 'progress', 'result']);
    });
  }
});

describe('ddim serve under each runtime', () => {
  for (const runtime of ['bun', 'node', 'deno'] as const satisfies readonly CliRuntime[]) {
    test(`${runtime}: listens, answers with the same bytes, and exits 0 on SIGTERM`, async () => {
      const command = [...cliCommand(runtime, DENO_SERVE_PERMISSIONS), 'serve', '--port', '0', '--host', '127.0.0.1'];
      const child = Bun.spawn(command, { cwd: ROOT, stdout: 'pipe', stderr: 'pipe', env: { ...process.env, NO_COLOR: '1' } });
      const stderr = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
      let log = '';
      while (!/listening on http/.test(log)) {
        const { done, value } = await stderr.read();
        if (done) throw new Error(`ddim serve under ${runtime} did not start: ${log}`);
        log += value;
      }
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(log)![1]!;
      const response = await fetch(`${url}/v1/sample`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'image/png' },
        body: JSON.stringify(REQUEST),
      });
      expect(response.status).toBe(200);
      expect(await sha256(response)).toBe(expectedSha);
      child.kill('SIGTERM');
      for (let chunk = await stderr.read(); !chunk.done; chunk = await stderr.read()) log += chunk.value;
      expect(await child.exited).toBe(0);
      expect(log).toContain('SIGTERM: no longer accepting');
      expect(log).toContain('shut down: 0 request(s) finished, 0 cancelled');
    });
  }
});

describe('where runtime APIs live', () => {
  test('server.ts and server/ use no Bun API, except the Bun adapter', () => {
    const files = ['server.ts', ...new Bun.Glob('server/**/*.ts').scanSync(ROOT)].filter((f) => !f.endsWith('.test.ts'));
    expect(files).toContain('server/adapters/bun.ts');
    expect(files).toContain('server/adapters/node.ts');
    // Code only: a doc comment may show how an adapter calls Bun.serve.
    const code = (file: string) => readFileSync(join(ROOT, file), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
    const usingBun = files.filter((file) => /\bBun\.|from ['"]bun['"]|from ['"]bun:/.test(code(file)));
    const usingDeno = files.filter((file) => /\bDeno\b/.test(code(file)));
    expect(usingBun).toEqual(['server/adapters/bun.ts']);
    // The Deno adapter runs on Deno's node:http (see server/adapters/deno.ts): no Deno API at all.
    expect(usingDeno).toEqual([]);
  });
});

describe('the Workers-style handler', () => {
  test('builds the app on its first request and answers like the others, byte for byte', async () => {
    const { workerHandler } = await import('../server/adapters/workers.ts');
    let built = 0;
    let own: Pipeline | undefined;
    const handler = workerHandler({
      pipeline: async () => {
        built++;
        own = await createPipeline(loadConfig(DEFAULT_CONFIG));
        return own;
      },
    });
    expect(built).toBe(0);
    const health = await handler.fetch(new Request('http://worker/v1/health'));
    expect(health.status).toBe(200);
    const body = JSON.stringify({ n_samples: 1, seed: 7, skip_steps: 3 });
    const request = () => new Request('http://worker/v1/sample', { method: 'POST', headers: { 'content-type': 'application/json', accept: 'image/png' }, body });
    const [first, second] = await Promise.all([handler.fetch(request()), handler.fetch(request())]);
    expect(built).toBe(1);
    expect(first.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await first.arrayBuffer()).equals(Buffer.from(await second.arrayBuffer()))).toBe(true);
    await own!.dispose();
  });

  test('answers a failed start with a 503 naming why, and starts again once Retry-After has passed', async () => {
    const { workerHandler } = await import('../server/adapters/workers.ts');
    let tries = 0;
    let own: Pipeline | undefined;
    const handler = workerHandler({
      pipeline: async () => {
        if (++tries === 1) throw new Error('cannot fetch model https://example.invalid/m.onnx: HTTP 404');
        own = await createPipeline(loadConfig(DEFAULT_CONFIG));
        return own;
      },
    });
    try {
      for (let i = 0; i < 2; i++) {
        const failed = await handler.fetch(new Request('http://worker/v1/health'));
        expect(failed.status).toBe(503);
        expect(failed.headers.get('retry-after')).toBe('5');
        expect(((await failed.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'not_ready', message: 'the service could not start: cannot fetch model https://example.invalid/m.onnx: HTTP 404' });
      }
      expect(tries).toBe(1);
      setSystemTime(new Date(Date.now() + 5_001));
      expect((await handler.fetch(new Request('http://worker/v1/health'))).status).toBe(200);
      expect(tries).toBe(2);
    } finally {
      setSystemTime();
      await own?.dispose();
    }
  });
});
