/**
 * Decompression bombs on every decoder path: a 32×32 PNG whose pixel data would inflate to
 * 512 MiB or 2 GiB (built in memory by test/support/png-bombs.ts) costs what its 32 rows cost,
 * decoded natively (sharp), portably (the edge's decoder), by the playground worker's image
 * source, and over HTTP by
 * `ddim serve` and by the edge bundle under `deno serve`: the server's resident memory grows
 * by less than 100 MB, and it answers. A header that declares more pixels than an input may
 * have is refused before anything is decoded, with a JSON 413 naming the limit.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { buildEdge } from '../edge/build.ts';
import { DENO, cliCommand } from './support/cli.ts';
import { ROOT, tempDirSync } from './support/fixtures.ts';
import { chunk, handPng } from './support/fuzz-images.ts';
import { idatBombPng } from './support/png-bombs.ts';
import { type Served, serveProcess } from './support/serve-process.ts';

const MB = 2 ** 20;
/** The bombs: 32×32 gray, inflating to 512 MiB (a 531 KB file) and 2 GiB (2.1 MB). */
const bombs = { '512 MiB': idatBombPng(32, 32, 512 * MB), '2 GiB': idatBombPng(32, 32, 2048 * MB) };

describe('a decompression bomb decoded in a fresh process', () => {
  const dir = tempDirSync('ddim-bombs-');
  const file = join(dir, 'bomb.png');
  writeFileSync(file, bombs['512 MiB']);
  for (const decoder of ['native', 'portable', 'playground']) {
    test(`${decoder}: the 32×32 picture, in less than 100 MB more memory`, () => {
      const run = Bun.spawnSync(['bun', join(ROOT, 'test/support/decode-bomb.ts'), decoder, file, '32'], { stderr: 'pipe' });
      expect(run.stderr.toString()).toBe('');
      const { growth, outcome } = JSON.parse(run.stdout.toString()) as { growth: number; outcome: string };
      expect(outcome).toBe('decoded, 1024 black pixels');
      expect(growth).toBeLessThan(100 * MB);
    });
  }
});

/** Resident memory of a process now and at its peak, in bytes. */
function memoryOf(pid: number): { now: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)![1]) * 1024;
  return { now: kib('VmRSS'), peak: kib('VmHWM') };
}

/**
 * Resident memory a process gains while `work` runs, in bytes: its peak is reset first (Linux's
 * clear_refs), so an earlier peak, from start-up or a warm-up request, is not counted as growth.
 */
async function growthDuring(pid: number, work: () => Promise<void>): Promise<number> {
  let peakReset = true;
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    peakReset = false; // no clear_refs (gVisor, WSL1): an earlier peak can only hide growth below it
  }
  const before = memoryOf(pid);
  await work();
  const after = memoryOf(pid);
  return peakReset ? after.peak - before.now : Math.max(after.peak - before.peak, after.now - before.now);
}

/**
 * Small requests until the server's resident memory stops moving (three in a row within 4 MB):
 * a runtime's heap and a wasm backend's memory grow over the first several requests whatever
 * they hold (Deno: from 400 MB to 530 MB over about ten 32×32 reconstructions), and only what
 * grows after that is the bomb's.
 */
async function warmUp(server: Served): Promise<void> {
  const recent: number[] = [];
  for (let round = 0; round < 40; round++) {
    expect((await reconstruct(server.url, idatBombPng(32, 32, MB))).status).toBe(200);
    recent.push(memoryOf(server.pid).now);
    const last = recent.slice(-3);
    if (last.length === 3 && Math.max(...last) - Math.min(...last) < 4 * MB) return;
  }
  throw new Error(`the server's memory did not settle in 40 small requests (last: ${recent.slice(-3).map((b) => Math.round(b / MB)).join(', ')} MB); growth measured now would not be the bomb's`);
}

const reconstruct = (url: string, png: Uint8Array, count = 1) =>
  fetch(`${url}/v1/reconstruction`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ images: Array(count).fill(Buffer.from(png).toString('base64')), n_samples: count, skip_steps: 2, seed: 1 }),
  });

/** The largest input a request may send: 4096×4096 RGBA at 16 bits a sample (128 MiB of pixels, 130 KB of PNG), all black. */
function largestInput(): Uint8Array {
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, 4096);
  view.setUint32(4, 4096);
  ihdr.set([16, 6], 8);
  const idat = deflateSync(new Uint8Array(4096 * (1 + 4096 * 8)), { level: 9 });
  return Buffer.concat([Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', new Uint8Array(0))]);
}

/** What a server answers: a picture (its width) or an error code, with the status. */
type Answer = [number, number | string];
const PICTURE: Answer = [200, 70];

/**
 * The HTTP checks, the same for each server: warmed up until its memory settles, so that what
 * grows after that is the bomb's. `answers`: per bomb, and for 3 inputs of the largest size (the native
 * server resizes them; the edge takes only inputs of the model's size, and its body limit is
 * 1 MiB, so the 2.1 MB bomb is refused before it is read).
 */
function bombsOverHttp(name: string, answers: Record<keyof typeof bombs | 'largest', Answer>, start: () => Promise<Served>): void {
  describe(name, () => {
    let server: Served;
    beforeAll(async () => {
      server = await start();
      await warmUp(server);
    }, 120_000);
    afterAll(() => server?.stop());

    for (const [size, png] of Object.entries(bombs)) {
      const expected = answers[size as keyof typeof bombs];
      test(`the ${size} bomb is answered ${expected.join(' ')}, the server growing by less than 100 MB`, async () => {
        let answer: unknown[] = [];
        const growth = await growthDuring(server.pid, async () => {
          const response = await reconstruct(server.url, png);
          const body = (await response.json()) as { picture?: { width: number }; error?: { code: string } };
          answer = [response.status, body.picture?.width ?? body.error?.code];
        });
        expect(answer).toEqual(expected);
        expect(growth).toBeLessThan(100 * MB);
      }, 60_000);
    }

    // 3 of them: 50 Mi pixels, within server.max_queued_pixels (64 Mi), in a 0.5 MB body.
    test(`3 inputs of 4096×4096 RGBA at 16 bits (384 MiB of pixels in a 0.5 MB body): ${answers.largest.join(' ')}, the server growing by less than 100 MB`, async () => {
      let answer: unknown[] = [];
      const growth = await growthDuring(server.pid, async () => {
        const response = await reconstruct(server.url, largestInput(), 3);
        const body = (await response.json()) as { error?: { code: string } };
        answer = [response.status, body.error?.code ?? 'a picture'];
      });
      expect(answer).toEqual(answers.largest);
      expect(growth).toBeLessThan(100 * MB);
    }, 120_000);

    test('a header declaring 100000×100000 pixels is a JSON 413 naming the limit', async () => {
      const response = await reconstruct(server.url, handPng(100_000, 100_000, new Uint8Array(16)));
      const body = (await response.json()) as { error: { code: string; field: string; message: string } };
      expect([response.status, body.error.code, body.error.field]).toEqual([413, 'image_too_large', 'images[0]']);
      expect(body.error.message).toBe('images[0]: 100000x100000 pixels; at most 16777216 (4096x4096) are accepted');
    }, 60_000);
  });
}

bombsOverHttp('ddim serve (Bun, sharp)', { '512 MiB': PICTURE, '2 GiB': PICTURE, largest: [200, 'a picture'] }, () => serveProcess([...cliCommand('bun'), 'serve', '--port', '0', '--host', '127.0.0.1', '--quiet'], { cwd: ROOT, lifetimeMs: 300_000 }));

bombsOverHttp('the edge bundle under deno serve (the portable decoder)', { '512 MiB': PICTURE, '2 GiB': [413, 'payload_too_large'], largest: [400, 'invalid_image'] }, async () => {
  const { outdir } = await buildEdge({ outdir: tempDirSync('ddim-edge-bombs-') });
  return serveProcess(
    [DENO, 'serve', '--no-prompt', `--allow-read=${outdir}`, '--allow-net=127.0.0.1', '--host', '127.0.0.1', '--port', '0', join(outdir, 'worker.js')],
    { cwd: outdir, env: { PATH: process.env.PATH ?? '', NO_COLOR: '1' }, listening: /Listening on (http:\/\/127\.0\.0\.1:\d+)/, lifetimeMs: 300_000 },
  );
});
