/** The app under Bun: Bun.serve, with Bun's own limits moved out of the app's way. */
import { whenBodyRead } from '../body-read.ts';
import { DEFAULT_CONNECTION_LIMITS, type FetchHandler, type ListenOptions, type ListeningServer, serverUrl } from './listening-server.ts';
import { guardRequests } from './request-guard.ts';

/**
 * Bun's idle timeout is whole seconds, at most 255, checked on a 4 s tick: a timeout of s
 * seconds may fire as early as s - 4 (measured: 4 s cut a connection after 0.2 s). This many
 * seconds never fire before `ms` have passed.
 */
const idleSecondsAfter = (ms: number) => Math.min(255, Math.ceil(ms / 1000) + 4);

/**
 * Serve `app` with Bun.serve on `hostname:port`.
 *
 * @example
 * const server = await listen(createApp({ pipeline }), { hostname: '127.0.0.1', port: 8787 });
 * console.log(`listening on ${server.url}`);
 * await server.stop();
 */
export async function listen(app: FetchHandler, { hostname, port, limits = DEFAULT_CONNECTION_LIMITS }: ListenOptions): Promise<ListeningServer> {
  const guarded = guardRequests(app, limits);
  const server = Bun.serve({
    hostname,
    port,
    // Bodies past server.max_body_bytes get the app's 413 JSON: the app checks Content-Length first
    // and stops reading at its limit, so Bun's own cap (a bare 413) must never come first.
    maxRequestBodySize: Number.MAX_SAFE_INTEGER,
    // Bun's HTTP server has its own header deadline (about 10 s, measured; not configurable), and its idle
    // timer is not reset by body bytes: set past the body deadline, so that a slow body gets the app's 408
    // (server.body_timeout_ms) rather than a bare close.
    idleTimeout: idleSecondsAfter(limits.bodyTimeoutMs),
    fetch(request, bunServer) {
      // Once the body is in, the answer may be minutes of silent work: server.request_timeout_ms bounds it, not
      // the idle timer. Before that (auth, a slow body) the idle timer stays on.
      whenBodyRead(request, () => bunServer.timeout(request, 0));
      return guarded.fetch(request);
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
