/**
 * What the decompression bombs cost a running server: a 32×32 PNG whose pixel data
 * would inflate to 512 MiB (531 KB) and one to 2 GiB (2.1 MB), each sent to /v1/reconstruction
 * (1 sample, 2 steps) after a warm-up request, and a plain 32×32 PNG first for comparison (the
 * run itself: on the edge it blocks health). Prints one JSON line per image: status, seconds,
 * the server process's resident memory before, at its peak (VmHWM) and after, and how long a
 * /v1/health sent 300 ms into the request waited.
 *
 *   bun bench/upload-bombs.ts native   # ddim serve (Bun, sharp)
 *   bun bench/upload-bombs.ts edge     # the edge bundle under deno serve (the portable decoder)
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildEdge } from '../edge/build.ts';
import { DENO } from '../test/support/cli.ts';
import { handPng } from '../test/support/fuzz-images.ts';
import { idatBombPng } from '../test/support/png-bombs.ts';
import { type Served, serveProcess } from '../test/support/serve-process.ts';

const ROOT = join(import.meta.dir, '..');
const MB = 2 ** 20;

async function start(runtime: string): Promise<Served> {
  if (runtime === 'native') return serveProcess(['bun', join(ROOT, 'cli.ts'), 'serve', '--port', '0', '--host', '127.0.0.1', '--quiet'], { cwd: ROOT });
  const { outdir } = await buildEdge({ outdir: mkdtempSync(join(tmpdir(), 'ddim-edge-bombs-')) });
  return serveProcess([DENO, 'serve', '--no-prompt', `--allow-read=${outdir}`, '--allow-net=127.0.0.1', '--host', '127.0.0.1', '--port', '0', join(outdir, 'worker.js')], {
    cwd: outdir,
    env: { PATH: process.env.PATH ?? '', NO_COLOR: '1' },
    listening: /Listening on (http:\/\/127\.0\.0\.1:\d+)/,
  });
}

const runtime = process.argv[2] ?? 'native';
const server = await start(runtime);
const memory = () => {
  const status = readFileSync(`/proc/${server.pid}/status`, 'utf8');
  const mb = (key: string) => Math.round(Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)![1]) / 1024);
  return { rss: mb('VmRSS'), peak: mb('VmHWM') };
};
const reconstruct = (png: Uint8Array) =>
  fetch(`${server.url}/v1/reconstruction`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ images: [Buffer.from(png).toString('base64')], n_samples: 1, skip_steps: 2, seed: 1 }),
  });
try {
  await (await reconstruct(idatBombPng(32, 32, MB))).text();
  for (const mib of [0, 512, 2048]) {
    const png = mib === 0 ? handPng(32, 32, new Uint8Array(32 * 33)) : idatBombPng(32, 32, mib * MB);
    const before = memory().rss;
    const started = performance.now();
    const health = (async () => {
      await Bun.sleep(300);
      const sent = performance.now();
      await fetch(`${server.url}/v1/health`);
      return Math.round(performance.now() - sent);
    })();
    const response = await reconstruct(png);
    await response.text();
    const seconds = Number(((performance.now() - started) / 1000).toFixed(2));
    const after = memory();
    console.log(JSON.stringify({ runtime, image: mib === 0 ? `a plain PNG of ${png.length} bytes` : `a bomb of ${mib} MiB in ${png.length} bytes`, status: response.status, seconds, health_ms: await health, rss_before_mb: before, rss_peak_mb: after.peak, rss_after_mb: after.rss }));
  }
} finally {
  await server.stop();
}
