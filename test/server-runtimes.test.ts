/**
 * server.ts is web standards only: the same app under Node (@hono/node-server) and Deno
 * (Deno.serve) gives the bytes it gives under Bun.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Pipeline, createPipeline, loadConfig } from '../index.ts';
import { createApp } from '../server.ts';
import { DEFAULT_CONFIG, ROOT } from './support/fixtures.ts';

const SCRIPT = join(ROOT, 'test/support/serve-runtime.ts');
const runtimes: Record<string, string[]> = {
  node: ['node', '--import', 'tsx', SCRIPT],
  deno: [join(ROOT, 'node_modules/.bin/deno'), 'run', '--allow-read', '--allow-env', '--allow-ffi', '--allow-sys', '--allow-net=127.0.0.1', SCRIPT],
};

let pipeline: Pipeline;
let expectedSha: string;

beforeAll(async () => {
  pipeline = await createPipeline(loadConfig(DEFAULT_CONFIG));
  // The reference: the app called directly (app.request, no socket) under Bun.
  const response = await createApp({ pipeline }).request('/v1/sample', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'image/png' },
    body: JSON.stringify({ n_samples: 1, seed: 7, skip_steps: 3 }),
  });
  expect(response.status).toBe(200);
  expectedSha = createHash('sha256').update(new Uint8Array(await response.arrayBuffer())).digest('hex');
});
afterAll(() => pipeline.dispose());

describe('the app under other runtimes', () => {
  for (const [runtime, command] of Object.entries(runtimes)) {
    test(`${runtime}: the same PNG, the same 400, the same event stream`, async () => {
      const child = Bun.spawn(command, { cwd: ROOT, stdout: 'pipe', stderr: 'pipe', env: { ...process.env, NO_COLOR: '1' } });
      const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
      expect(stderr).not.toContain('Error');
      expect(code).toBe(0);
      const report = JSON.parse(stdout.trim().split('\n').at(-1)!);
      expect(report.runtime).toBe(runtime);
      expect(report.png).toEqual({ status: 200, type: 'image/png', sha256: expectedSha });
      expect(report.bad).toMatchObject({ status: 400, body: { error: { code: 'invalid_field', field: 'n_samples' } } });
      expect(report.events).toEqual(['accepted', 'progress', 'progress', 'progress', 'progress', 'result']);
    });
  }

  test('server.ts and core/server use no Bun API', () => {
    const files = ['server.ts', ...new Bun.Glob('server/*.ts').scanSync(ROOT)].filter((f) => !f.endsWith('.test.ts'));
    expect(files.length).toBeGreaterThan(5);
    // Code only: a doc comment may show how an adapter calls Bun.serve.
    const code = (file: string) => readFileSync(join(ROOT, file), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
    const offenders = files.filter((file) => /\bBun\.|from ['"]bun['"]|from ['"]bun:/.test(code(file)));
    expect(offenders).toEqual([]);
  });
});
