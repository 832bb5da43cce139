/** The app under Node: @hono/node-server on node:http. */
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { type FetchHandler, type ListenOptions, type ListeningServer, serverUrl } from './listening-server.ts';

/**
 * Serve `app` with node:http on `hostname:port`; rejects if the port cannot be bound.
 *
 * @example
 * const server = await listen(createApp({ pipeline }), { hostname: '127.0.0.1', port: 0 });
 * await fetch(`${server.url}/v1/health`);
 * await server.stop();
 */
export function listen(app: FetchHandler, { hostname, port }: ListenOptions): Promise<ListeningServer> {
  return new Promise((resolve, reject) => {
    // Without createServer options @hono/node-server makes a plain node:http server.
    const server = serve({ fetch: (request) => app.fetch(request), hostname, port }, (info) => {
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
