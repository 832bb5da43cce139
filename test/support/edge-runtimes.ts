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
