/**
 * Guided sampling in the edge bundle: test/fixtures/edge-guided-entry.ts, bundled by the edge
 * build (which refuses any Node built-in or native addon on its path), runs createWebPipeline
 * on the conditional stand-in's bytes under `deno run` with reads limited to the bundle's
 * folder and no other permission, and its samples of class "cat" at guidance scale 3 match
 * the native CLI's within the web backend's limit. And the edge module's HTTP handler over a
 * conditional config (its class and scale in the config: a request does not set them yet)
 * answers POST /v1/sample with the CLI's PNGs under the edge's limits (max_batch 1, while a
 * guided item runs 2 rows per model call).
 */
import { expect, test } from 'bun:test';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildEdge } from '../edge/build.ts';
import { createWebPipeline } from '../edge/create-web-pipeline.ts';
import { EDGE_DEFAULTS, edgeConfig } from '../edge/edge-defaults.ts';
import { workerHandler } from '../server/adapters/workers.ts';
import { parseNpy } from '../core/io/npy.ts';
import { DENO, runCli } from './support/cli.ts';
import { WEB_SAMPLES_LIMIT, maxAbsDiff } from './support/sample-diff.ts';
import { ROOT, tempDirSync } from './support/fixtures.ts';
import { expectWithinBackendLimit, pixelDiff } from './support/pixel-diff.ts';

const STANDIN = join(ROOT, 'test/fixtures/conditional/standin.onnx');

test('the edge bundle samples a class with guidance under deno, as the native CLI does', async () => {
  const build = await buildEdge({ outdir: tempDirSync('ddim-edge-guided-'), entry: join(ROOT, 'test/fixtures/edge-guided-entry.ts') });
  copyFileSync(STANDIN, join(build.outdir, 'standin.onnx'));
  const deno = Bun.spawn([DENO, 'run', '--no-prompt', `--allow-read=${build.outdir}`, build.entry], {
    cwd: build.outdir,
    env: { PATH: process.env.PATH ?? '', NO_COLOR: '1' },
    stdout: 'pipe',
    stderr: 'pipe',
    timeout: 100_000,
  });
  const [stdout, stderr, exitCode] = await Promise.all([new Response(deno.stdout).text(), new Response(deno.stderr).text(), deno.exited]);
  expect(stderr).toBe('');
  expect(exitCode).toBe(0);
  const edge = JSON.parse(stdout) as { providers: string[]; classNames: string[]; samples: string };
  expect(edge.providers).toEqual(['wasm']);
  // The classes came from the card in the model's bytes: the entry's config names none.
  expect(edge.classNames[3]).toBe('cat');
  const bytes = Buffer.from(edge.samples, 'base64');
  const samples = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);

  // The entry's settings as CLI flags.
  const out = tempDirSync();
  const flags = ['--seed', '7', '--skip_steps', '10', '--ddim_eta', '0.5', 'diffusion.params.clip_denoised=false', '--n_samples', '3', '--guidance_scale', '3', '--class', 'cat'];
  const cli = await runCli(['sample', '--weights', STANDIN, ...flags, '--save_dir', out, '--save_npy', '--quiet']);
  expect(cli.exitCode).toBe(0);
  const native = parseNpy(readFileSync(join(out, 'samples.npy'))).data;
  expect(samples.length).toBe(3 * 3 * 16 * 16);
  const difference = maxAbsDiff(samples, native);
  console.log(`edge bundle (deno) --class cat -s 3 vs native CLI: max difference ${difference.toExponential(2)}`);
  expect(difference).toBeLessThanOrEqual(WEB_SAMPLES_LIMIT);
}, 150_000);

test('the edge handler over a conditional config answers POST /v1/sample with the native CLI\'s PNGs', async () => {
  expect(EDGE_DEFAULTS.server.max_batch).toBe(1);
  const text = `${readFileSync(join(ROOT, 'test/fixtures/conditional/standin.yaml'), 'utf8')}sampler:\n  class: cat\n  guidance_scale: 3\n`;
  const model = new Uint8Array(readFileSync(STANDIN));
  const handler = workerHandler({ pipeline: () => createWebPipeline({ config: edgeConfig(text), model }) });
  const response = await handler.fetch(
    new Request('http://127.0.0.1/v1/sample', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ n_samples: 2, seed: 7, skip_steps: 10 }),
    }),
  );
  expect(response.status).toBe(200);
  const body = (await response.json()) as { count: number; images: { png: string }[] };
  expect(body.count).toBe(2);
  const out = tempDirSync();
  const cli = await runCli(['sample', '--weights', STANDIN, '--class', 'cat', '--guidance_scale', '3', '--n_samples', '2', '--seed', '7', '--skip_steps', '10', '--save_dir', out, '--quiet']);
  expect(cli.exitCode).toBe(0);
  for (let i = 0; i < 2; i++) {
    const edge = Buffer.from(body.images[i]!.png, 'base64');
    expectWithinBackendLimit(pixelDiff(edge, readFileSync(join(out, `${i}.png`))), `edge handler (web backend) vs CLI (native), image ${i}`);
  }
  // Another class gives other images: the config's class reached the model.
  const ship = await runCli(['sample', '--weights', STANDIN, '--class', 'ship', '--guidance_scale', '3', '--n_samples', '1', '--seed', '7', '--skip_steps', '10', '--save_dir', join(out, 'ship'), '--quiet']);
  expect(ship.exitCode).toBe(0);
  expect(pixelDiff(Buffer.from(body.images[0]!.png, 'base64'), readFileSync(join(out, 'ship', '0.png'))).differing).toBeGreaterThan(0);
}, 120_000);
