/** The app under Bun: Bun.serve, with Bun's own limits moved out of the app's way. */
import { type FetchHandler, type ListenOptions, type ListeningServer, serverUrl } from './listening-server.ts';

/**
 * Serve `app` with Bun.serve on `hostname:port`.
 *
 * @example
 * const server = await listen(createApp({ pipeline }), { hostname: '127.0.0.1', port: 8787 });
 * console.log(`listening on ${server.url}`);
 * await server.stop();
 */
export async function listen(app: FetchHandler, { hostname, port }: ListenOptions): Promise<ListeningServer> {
  const server = Bun.serve({
    hostname,
    port,
    // Bodies past server.max_body_bytes get the app's 413 JSON: the app checks Content-Length first
    // and stops reading at its limit, so Bun's own cap (a bare 413) must never come first.
    maxRequestBodySize: Number.MAX_SAFE_INTEGER,
    fetch(request, bunServer) {
      // A sampling request may stay silent for minutes: server.request_timeout_ms bounds it, not Bun's idle timer.
      if (request.method === 'POST') bunServer.timeout(request, 0);
      return app.fetch(request);
    },
  });
  const boundPort = server.port ?? port;
  return {
    url: serverUrl(hostname, boundPort),
    hostname,
    port: boundPort,
    stop: (closeActive = false) => server.stop(closeActive),
  };
}
