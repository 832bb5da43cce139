/** The edge runtimes the tests start: workerd (Cloudflare's runtime, a devDependency), free ports, readiness. */
import { join } from 'node:path';
import { ROOT } from './paths.ts';

/** The workerd binary itself (node_modules/.bin/workerd is a Node wrapper around it). */
export const WORKERD = join(ROOT, 'node_modules/@cloudflare/workerd-linux-64/bin/workerd');

/** A loopback port nothing listens on now (for runtimes that cannot report the one they chose). */
export async function freePort(): Promise<number> {
  const server = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
  const { port } = server;
  server.stop(true);
  return port;
}

/** Waits until GET /v1/health answers (any status: the app is up), or throws after `ms`. */
export async function waitForHealth(base: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      await fetch(`${base}/v1/health`);
      return;
    } catch (error) {
      last = error;
      await Bun.sleep(100);
    }
  }
  throw new Error(`${base} did not answer within ${ms} ms: ${String(last)}`);
}

/** A runtime serving the edge module for a test: its base URL, its process, stopped by SIGTERM. */
export interface EdgeServer {
  readonly url: string;
  readonly process: ReturnType<typeof Bun.spawn>;
  stop(): Promise<void>;
}

async function started(process: ReturnType<typeof Bun.spawn>, url: string): Promise<EdgeServer> {
  try {
    await waitForHealth(url, 60_000);
  } catch (error) {
    process.kill('SIGKILL');
    throw error;
  }
  return {
    url,
    process,
    async stop() {
      process.kill('SIGTERM');
      const timer = setTimeout(() => process.kill('SIGKILL'), 10_000);
      await process.exited;
      clearTimeout(timer);
    },
  };
}

/** `bun run serve:edge` (the documented command) over the bundle in `dir`, with `env` added (DDIM_TOKEN, say). */
export async function serveEdge(dir: string, env: Record<string, string> = {}): Promise<EdgeServer> {
  const port = await freePort();
  const child = Bun.spawn(['bun', 'run', 'serve:edge'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NO_COLOR: '1', PORT: String(port), DDIM_EDGE_DIR: dir, ...env },
    stdout: 'ignore',
    stderr: 'ignore',
    timeout: 300_000,
  });
  return started(child, `http://127.0.0.1:${port}`);
}

/** workerd over the Workers layout in `dir` (its workerd.capnp), with `env` added (DDIM_TOKEN, say). */
export async function serveWorkerd(dir: string, env: Record<string, string> = {}): Promise<EdgeServer> {
  const port = await freePort();
  const child = Bun.spawn([WORKERD, 'serve', 'workerd.capnp', '--socket-addr', `http=127.0.0.1:${port}`], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdout: 'ignore',
    stderr: 'ignore',
    timeout: 300_000,
  });
  return started(child, `http://127.0.0.1:${port}`);
}
