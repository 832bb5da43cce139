/**
 * The service under hostile load, measured on a real `ddim serve` process (not part of the
 * test suite: it runs for about a minute and a half and opens thousands of sockets).
 *
 *   bun bench/hostile-load.ts [--runtime bun|node|deno] [--clients 400] [--seconds 30] [--slow 2000] [key.path=value ...]
 *
 * 1. Load: `--clients` clients each POST /v1/sample (one image, 20 steps) in a loop for
 *    `--seconds`; a refused client waits 100 ms and asks again. Prints how many answers were
 *    200, 429, 5xx, other, and failed connections; whether the server process survived; its
 *    RSS before, at peak, and 5 s after.
 * 2. Slow bodies: `--slow` connections each send a POST head (Content-Length 100000) and one
 *    body byte a second. Prints how each ended (408 at the body deadline, 503 past
 *    server.max_connections), the latest close after opening, and /v1/health latency
 *    (polled every 250 ms) meanwhile.
 * The key.path=value arguments go to `ddim serve` (e.g. server.body_timeout_ms=10000).
 */
import { readFileSync } from 'node:fs';
import { type Socket, connect } from 'node:net';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dir, '..');
const DENO = join(ROOT, 'node_modules/deno/deno');

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : process.argv[i + 1]!;
}
const runtime = option('runtime', 'bun');
const clients = Number(option('clients', '400'));
const seconds = Number(option('seconds', '30'));
const slowCount = Number(option('slow', '2000'));
const overrides = process.argv.slice(2).filter((arg) => /^server\.\w+=/.test(arg));

const COMMANDS: Record<string, string[]> = {
  bun: ['bun', join(ROOT, 'cli.ts')],
  node: ['node', '--import', 'tsx', join(ROOT, 'cli.ts')],
  deno: [DENO, 'run', '--allow-read', '--allow-env', '--allow-ffi', '--allow-net=127.0.0.1', join(ROOT, 'cli.ts')],
};

const rssMb = (pid: number): number => {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
  return line ? Number(line[1]) / 1024 : Number.NaN;
};
const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))] ?? Number.NaN;

async function startServer(): Promise<{ url: string; child: ReturnType<typeof Bun.spawn> }> {
  const child = Bun.spawn([...COMMANDS[runtime]!, 'serve', '--port', '0', '--host', '127.0.0.1', '--quiet', ...overrides], { cwd: ROOT, stdout: 'ignore', stderr: 'pipe' });
  let log = '';
  let found: (url: string | undefined) => void = () => {};
  const listening = new Promise<string | undefined>((resolve) => (found = resolve));
  void (async () => {
    const decoder = new TextDecoder();
    // Read to the end, so that the pipe never fills and the server never blocks on it.
    for await (const chunk of child.stderr as ReadableStream<Uint8Array>) {
      log += decoder.decode(chunk, { stream: true });
      const url = /listening on (http:\/\/\S+)/.exec(log)?.[1];
      if (url) found(url);
    }
    found(undefined);
  })();
  const url = await listening;
  if (!url) throw new Error(`ddim serve did not start:\n${log}`);
  return { url, child };
}

async function load(url: string, pid: number) {
  const counts = { ok: 0, tooMany: 0, serverError: 0, other: 0, failed: 0 };
  const serverErrors: Record<number, number> = {};
  let peak = rssMb(pid);
  const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 250);
  const until = Date.now() + seconds * 1000;
  const body = JSON.stringify({ n_samples: 1, skip_steps: 50 });
  const client = async () => {
    while (Date.now() < until) {
      try {
        const response = await fetch(`${url}/v1/sample`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        await response.arrayBuffer();
        if (response.status === 200) counts.ok++;
        else if (response.status === 429) counts.tooMany++;
        else if (response.status >= 500) {
          counts.serverError++;
          serverErrors[response.status] = (serverErrors[response.status] ?? 0) + 1;
        }
        else counts.other++;
        if (response.status !== 200) await Bun.sleep(100);
      } catch {
        counts.failed++;
        await Bun.sleep(100);
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  clearInterval(sampler);
  return { counts, serverErrors, peak };
}

/** One slow connection: its head, then a byte a second until the server closes it. */
function slowConnection(url: string): Promise<{ status: string; closedAfterMs: number }> {
  const { hostname, port } = new URL(url);
  return new Promise((done) => {
    const started = performance.now();
    let text = '';
    let timer: ReturnType<typeof setInterval> | undefined;
    const socket: Socket = connect({ host: hostname, port: Number(port) }, () => {
      socket.write(`POST /v1/sample HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n`);
      timer = setInterval(() => socket.destroyed || socket.write(' '), 1000);
    });
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      done({ status: text.split('\r\n')[0] || '(closed without an answer)', closedAfterMs: performance.now() - started });
    });
  });
}

async function slowBodies(url: string) {
  const latencies: number[] = [];
  let healthFailures = 0;
  let finished = false;
  const poll = (async () => {
    while (!finished) {
      const started = performance.now();
      try {
        const response = await fetch(`${url}/v1/health`, { signal: AbortSignal.timeout(10_000) });
        await response.arrayBuffer();
        if (response.status === 200) latencies.push(performance.now() - started);
        else healthFailures++;
      } catch {
        healthFailures++;
      }
      await Bun.sleep(250);
    }
  })();
  const results = await Promise.all(Array.from({ length: slowCount }, () => slowConnection(url)));
  finished = true;
  await poll;
  const statuses: Record<string, number> = {};
  for (const { status } of results) statuses[status] = (statuses[status] ?? 0) + 1;
  return { statuses, latestCloseMs: Math.max(...results.map((r) => r.closedAfterMs)), latencies, healthFailures };
}

const server = await startServer();
const pid = server.child.pid;
await fetch(`${server.url}/v1/sample`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"n_samples":1,"skip_steps":50}' });
const before = rssMb(pid);
console.log(`ddim serve under ${runtime} (${overrides.join(' ') || 'shipped limits'}), pid ${pid}`);

const loaded = await load(server.url, pid);
await Bun.sleep(5000);
const { ok, tooMany, serverError, other, failed } = loaded.counts;
console.log(`load: ${clients} clients for ${seconds} s: ${ok} × 200, ${tooMany} × 429, ${serverError} × 5xx ${JSON.stringify(loaded.serverErrors)}, ${other} other, ${failed} failed connections`);
console.log(`      server ${server.child.exitCode === null ? 'alive' : `EXITED (${server.child.exitCode})`}; RSS ${before.toFixed(0)} MB before, ${loaded.peak.toFixed(0)} MB peak, ${rssMb(pid).toFixed(0)} MB 5 s after`);

const slow = await slowBodies(server.url);
const shown = Object.entries(slow.statuses).map(([status, n]) => `${n} × ${status}`).join(', ');
console.log(`slow: ${slowCount} connections dripping a body byte a second: ${shown}; the last closed ${(slow.latestCloseMs / 1000).toFixed(1)} s after opening`);
console.log(
  `      /v1/health meanwhile: ${slow.latencies.length} answers, p50 ${percentile(slow.latencies, 0.5).toFixed(0)} ms, p99 ${percentile(slow.latencies, 0.99).toFixed(0)} ms, ` +
    `max ${Math.max(...slow.latencies).toFixed(0)} ms, ${slow.healthFailures} failed; server ${server.child.exitCode === null ? 'alive' : 'EXITED'}, RSS ${rssMb(pid).toFixed(0)} MB`,
);
server.child.kill('SIGTERM');
console.log(`exit code after SIGTERM: ${await server.child.exited}`);
