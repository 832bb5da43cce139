/**
 * The edge module: edge/worker.ts bundled for workers and browsers (no Node built-in, no
 * native addon), then served by `deno serve` with no --allow-ffi, no --allow-run, no
 * --allow-env and reads limited to the bundle's own folder, answering POST /v1/sample with
 * the PNG the native CLI writes (within the backends' limit). And the Cloudflare Workers
 * layout (edge/build.ts --workers) under workerd, Cloudflare's runtime from npm.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type EdgeBuild, buildEdge } from '../edge/build.ts';
import { decodePng, encodePng } from '../core/io/png.ts';
import { DENO, runCli } from './support/cli.ts';
import { WORKERD, freePort, waitForHealth } from './support/edge-runtimes.ts';
import { type Served, serveProcess } from './support/serve-process.ts';
import { ROOT, tempDirSync } from './support/fixtures.ts';
import { expectWithinBackendLimit, pixelDiff } from './support/pixel-diff.ts';

let build: EdgeBuild;
let deno: Served | undefined;
let workerd: ReturnType<typeof Bun.spawn> | undefined;
let url = '';

/** The bundle under `deno serve`: reads limited to its folder, no --allow-ffi, --allow-run or --allow-env. */
function startDeno(dir: string): Promise<Served> {
  return serveProcess(
    [DENO, 'serve', '--no-prompt', `--allow-read=${dir}`, '--allow-net=127.0.0.1', '--host', '127.0.0.1', '--port', '0', join(dir, 'worker.js')],
    { cwd: dir, env: { PATH: process.env.PATH ?? '', NO_COLOR: '1' }, listening: /Listening on (http:\/\/127\.0\.0\.1:\d+)/, lifetimeMs: 170_000 },
  );
}

beforeAll(async () => {
  build = await buildEdge({ outdir: tempDirSync('ddim-edge-') });
  deno = await startDeno(build.outdir);
  url = deno.url;
}, 60_000);

afterAll(async () => {
  workerd?.kill();
  await deno?.stop();
});

/** The native CLI's PNG for (seed, one image, 10 steps). */
async function cliPng(seed: number): Promise<Uint8Array> {
  const out = tempDirSync();
  const cli = await runCli(['sample', '--n_samples', '1', '--seed', String(seed), '--skip_steps', '10', '--save_dir', out, '--quiet']);
  expect(cli.exitCode).toBe(0);
  return readFileSync(join(out, '0.png'));
}

const post = (path: string, body: unknown, accept: string) =>
  fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', accept }, body: JSON.stringify(body) });

describe('the edge bundle', () => {
  test('holds no Node import and no native addon, only its own assets', () => {
    const code = readFileSync(build.entry, 'utf8');
    expect(code).not.toMatch(/\bfrom\s*["'](node:|fs|path|os|crypto|module|url|zlib|child_process|worker_threads)["'/]/);
    expect(code).not.toMatch(/\bimport\s*\(\s*["']node:/);
    expect(code).not.toMatch(/sharp-[a-z0-9-]+\.node|onnxruntime_binding|\.node["']/);
    // The one `node:` string left is onnxruntime-web's own fallback for a runtime without
    // `navigator`, which every edge runtime and browser has, and which our explicit thread
    // count skips: the guard is checked here, so any other Node reference fails the test.
    const mentions = [...code.matchAll(/.{0,40}["']node:[a-z_/]+["'].{0,20}/g)].map((m) => m[0]);
    for (const mention of mentions) expect(mention).toMatch(/typeof navigator>"u"\?\w+\("node:os"\)\.cpus\(\)/);
    expect(mentions.length).toBeLessThanOrEqual(1);
    expect(readdirSync(build.outdir).sort()).toEqual(['.ddim-edge-build', 'worker.js', ...build.assets].sort());
  });

  test('the build refuses a module that imports a Node built-in, itself or through a dependency', async () => {
    await expect(buildEdge({ outdir: tempDirSync('ddim-edge-bad-'), entry: join(ROOT, 'test/fixtures/edge-bad-entry.ts') })).rejects.toThrow(
      /may not import Node built-ins or native addons:\s+test\/fixtures\/edge-bad-entry\.ts imports node:fs/,
    );
    await expect(buildEdge({ outdir: tempDirSync('ddim-edge-bad-'), entry: join(ROOT, 'test/fixtures/edge-bad-dependency.ts') })).rejects.toThrow(
      /may not import Node built-ins or native addons:[\s\S]*detect-libc[\s\S]* imports child_process/,
    );
  });

  test('the build empties only its own output folders', async () => {
    const other = tempDirSync('ddim-edge-other-');
    writeFileSync(join(other, 'notes.txt'), 'mine');
    await expect(buildEdge({ outdir: other })).rejects.toThrow('is not empty and not an earlier edge build');
    expect(readFileSync(join(other, 'notes.txt'), 'utf8')).toBe('mine');
    await expect(buildEdge({ outdir: ROOT })).rejects.toThrow('holds the toolkit or the working directory');
    await expect(buildEdge({ outdir: join(ROOT, '..') })).rejects.toThrow('holds the toolkit or the working directory');
  });

  test('under deno serve, with reads limited to the bundle, POST /v1/sample gives the CLI\'s PNG', async () => {
    const response = await post('/v1/sample', { n_samples: 1, seed: 11, skip_steps: 10 }, 'image/png');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/png');
    const edge = new Uint8Array(await response.arrayBuffer());
    expectWithinBackendLimit(pixelDiff(edge, await cliPng(11)), 'edge (deno, web backend) vs CLI (native)');
  }, 120_000);

  test('image modes take PNG uploads at the model size; other images are a one-line 400', async () => {
    const pixels = new Uint8Array(32 * 32).map((_, i) => (i * 7) % 256);
    const png = await encodePng(pixels, 32, 32, 1);
    const ok = await post('/v1/reconstruction', { images: [Buffer.from(png).toString('base64')], skip_steps: 5 }, 'application/json');
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as { count: number; images: { png: string }[] };
    expect(body.count).toBe(1);
    const pair = decodePng(Buffer.from(body.images[0]!.png, 'base64'));
    expect([pair.channels, pair.width > 2 * 32, pair.height >= 32]).toEqual([1, true, true]); // input | reconstruction
    const small = await encodePng(pixels.subarray(0, 16 * 16), 16, 16, 1);
    const bad = await post('/v1/reconstruction', { images: [Buffer.from(small).toString('base64')], skip_steps: 5 }, 'application/json');
    expect(bad.status).toBe(400);
    const error = ((await bad.json()) as { error: { code: string; message: string } }).error;
    expect(error.code).toBe('invalid_image');
    expect(error.message).toContain('16×16');
    expect(error.message.split('\n')).toHaveLength(1);
  }, 120_000);
});

describe('the Cloudflare Workers layout', () => {
  test('under workerd, POST /v1/sample gives the CLI\'s PNG', async () => {
    const workers = await buildEdge({ target: 'workers', outdir: tempDirSync('ddim-workers-') });
    expect(readFileSync(workers.entry, 'utf8')).not.toMatch(/\bfrom\s*["']node:|\bimport\s*\(\s*["']node:/);
    const port = await freePort();
    workerd = Bun.spawn([WORKERD, 'serve', 'workerd.capnp', '--socket-addr', `http=127.0.0.1:${port}`], {
      cwd: workers.outdir,
      stdout: 'pipe',
      stderr: 'pipe',
      timeout: 120_000,
    });
    const base = `http://127.0.0.1:${port}`;
    await waitForHealth(base, 30_000);
    const response = await fetch(`${base}/v1/sample`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'image/png' },
      body: JSON.stringify({ n_samples: 1, seed: 11, skip_steps: 10 }),
    });
    expect(response.status).toBe(200);
    const png = new Uint8Array(await response.arrayBuffer());
    expectWithinBackendLimit(pixelDiff(png, await cliPng(11)), 'workers (workerd, web backend) vs CLI (native)');
  }, 120_000);
});
