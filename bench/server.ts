/**
 * Step-level batching, measured: N concurrent clients asking the HTTP service for one
 * image each, against one CLI run of N images at the same step count.
 *
 *   bun bench/server.ts [--clients 16] [--steps 50] [--rounds 3] [-c CONFIG] [--weights MODEL.onnx]
 *
 * Both sides run the real thing as separate processes on this machine: `ddim serve` on a
 * loopback port, and `ddim sample --n_samples N` (its own images/s from run.json, which
 * leaves out process start and model load, so the CLI is measured at its best). The
 * server's figure is N / wall time from the first request sent to the last answer read.
 * Prints both rates and their ratio (the target: >= 0.8).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dir, '..');
const CLI = join(ROOT, 'cli.ts');

function option(name: string, fallback: string | undefined): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : process.argv[i + 1];
}

const clients = Number(option('clients', '16'));
const steps = Number(option('steps', '50'));
const rounds = Number(option('rounds', '3'));
const common = [
  ...(option('c', undefined) ? ['-c', option('c', undefined)!] : []),
  ...(option('weights', undefined) ? ['--weights', option('weights', undefined)!] : []),
];

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function cliRate(dir: string, seed: number): Promise<number> {
  const child = Bun.spawn(['bun', CLI, 'sample', ...common, '--n_samples', String(clients), '--skip_steps', String(steps), '--seed', String(seed), '--save_dir', dir, '--quiet'], {
    stdout: 'inherit',
    stderr: 'inherit',
  });
  if ((await child.exited) !== 0) throw new Error('the CLI run failed');
  const run = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as { timings: { itemsPerSecond: number } };
  return run.timings.itemsPerSecond;
}

async function startServer(): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = Bun.spawn(['bun', CLI, 'serve', ...common, '--port', '0', '--host', '127.0.0.1', '--quiet'], { stdout: 'inherit', stderr: 'pipe' });
  const reader = child.stderr.getReader();
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`the server exited: ${text}`);
    text += new TextDecoder().decode(value);
    const match = /listening on (http:\/\/[\d.]+:\d+)/.exec(text);
    if (match) {
      void (async () => {
        while (!(await reader.read()).done);
      })();
      return {
        url: match[1]!,
        stop: async () => {
          child.kill('SIGTERM');
          await child.exited;
        },
      };
    }
  }
}

async function serverRound(url: string, round: number): Promise<number> {
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, i) => {
      const response = await fetch(`${url}/v1/sample`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'image/png' },
        body: JSON.stringify({ n_samples: 1, seed: 1000 * round + i, skip_steps: steps }),
      });
      if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
      await response.arrayBuffer();
    }),
  );
  return clients / ((performance.now() - started) / 1000);
}

const scratch = mkdtempSync(join(tmpdir(), 'ddim-bench-server-'));
try {
  const server = await startServer();
  const serverRates: number[] = [];
  const cliRates: number[] = [];
  let stats: unknown;
  try {
    await serverRound(server.url, 99); // warm-up: first model calls, JIT
    // Rounds alternate, so a change in the machine's load hits both sides alike.
    for (let r = 0; r < rounds; r++) {
      cliRates.push(await cliRate(join(scratch, `cli-${r}`), r));
      serverRates.push(await serverRound(server.url, r));
    }
    stats = ((await (await fetch(`${server.url}/v1/health`)).json()) as { scheduler: unknown }).scheduler;
  } finally {
    await server.stop();
  }
  const ratios = serverRates.map((rate, r) => rate / cliRates[r]!);
  console.log(`clients=${clients} steps=${steps} rounds=${rounds} cores=${navigator.hardwareConcurrency}`);
  console.log(`server: ${clients} concurrent 1-image requests: ${median(serverRates).toFixed(2)} images/s (rounds: ${serverRates.map((x) => x.toFixed(2)).join(', ')})`);
  console.log(`cli:    one run of ${clients} images:          ${median(cliRates).toFixed(2)} images/s (rounds: ${cliRates.map((x) => x.toFixed(2)).join(', ')})`);
  console.log(`scheduler: ${JSON.stringify(stats)}`);
  console.log(`ratio server/cli = ${median(ratios).toFixed(3)} (median of rounds: ${ratios.map((x) => x.toFixed(3)).join(', ')}; target >= 0.8)`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
