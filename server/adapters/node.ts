/** The app under Node: @hono/node-server on node:http. */
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { DEFAULT_CONNECTION_LIMITS, type FetchHandler, type ListenOptions, type ListeningServer, serverUrl } from './listening-server.ts';
import { guardRequests } from './request-guard.ts';

/** How often node:http looks for connections past their header or request deadline (its default is 30 s). */
const CHECK_EVERY_MS = 1000;

/**
 * Serve `app` with node:http on `hostname:port`; rejects if the port cannot be bound.
 *
 * @example
 * const server = await listen(createApp({ pipeline }), { hostname: '127.0.0.1', port: 0 });
 * await fetch(`${server.url}/v1/health`);
 * await server.stop();
 */
export function listen(app: FetchHandler, { hostname, port, limits = DEFAULT_CONNECTION_LIMITS }: ListenOptions): Promise<ListeningServer> {
  const guarded = guardRequests(app, limits);
  const serverOptions = {
    headersTimeout: limits.headerTimeoutMs,
    // node:http's requestTimeout covers the whole request (headers and body), not the answer.
    requestTimeout: limits.headerTimeoutMs + limits.bodyTimeoutMs,
    connectionsCheckingInterval: Math.min(CHECK_EVERY_MS, limits.headerTimeoutMs),
  };
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: (request) => guarded.fetch(request), hostname, port, serverOptions }, (info) => {
      server.off('error', reject);
      // server.close() may be called once; later stop() calls share its promise.
      let closed: Promise<void> | undefined;
      const close = () => (closed ??= new Promise<void>((done) => server.close(() => done())));
      resolve({
        url: serverUrl(hostname, info.port),
        hostname,
        port: info.port,
        stop(closeActive = false) {
          const closing = close();
          // close() already drops idle keep-alive sockets (Node >= 19); these are the busy ones.
          if (closeActive) server.closeAllConnections();
          return closing;
        },
      });
    }) as Server;
    server.once('error', reject);
  });
}
