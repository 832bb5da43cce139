/**
 * The contract every runtime adapter keeps: the app is only `fetch(request) => Response`;
 * an adapter puts it on a socket and takes it off again. `ddim serve` and the runtime
 * tests see nothing else of Bun, Node or Deno.
 */
import * as v from 'valibot';
import { type DdimConfig, ServerSchema } from '../../core/config/schema.ts';

/** A web-standard request handler, e.g. a Hono app. */
export interface FetchHandler {
  fetch(request: Request): Response | Promise<Response>;
}

export interface ListenOptions {
  readonly hostname: string;
  /** 0: any free port (see `ListeningServer.port` for the one taken). */
  readonly port: number;
  /** How long clients may take and how many may be in at once; default: DEFAULT_CONNECTION_LIMITS. */
  readonly limits?: ConnectionLimits;
}

/** The server.* keys an adapter enforces on its sockets (the body deadline is the app's). */
export interface ConnectionLimits {
  /** server.header_timeout_ms: the request line and headers must be in within this long. */
  readonly headerTimeoutMs: number;
  /** server.body_timeout_ms: the whole request must be in within header + body time. */
  readonly bodyTimeoutMs: number;
  /** server.max_connections. */
  readonly maxConnections: number;
}

/** An adapter's limits from a config's server: section. */
export function connectionLimits(server: DdimConfig['server']): ConnectionLimits {
  return { headerTimeoutMs: server.header_timeout_ms, bodyTimeoutMs: server.body_timeout_ms, maxConnections: server.max_connections };
}

/** The config schema's defaults, for callers that give no limits. */
export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = connectionLimits(v.parse(ServerSchema, {}));

export interface ListeningServer {
  /** `http://127.0.0.1:8787`, no trailing slash. */
  readonly url: string;
  readonly hostname: string;
  readonly port: number;
  /**
   * Stop accepting connections and resolve once the open ones are done; with `closeActive`,
   * cut them instead of waiting. Calling it again (to cut what a first call waits for) is fine.
   */
  stop(closeActive?: boolean): Promise<void>;
}

/** Every adapter's entry point. */
export type Listen = (app: FetchHandler, options: ListenOptions) => Promise<ListeningServer>;

/** The URL of a listening socket; an IPv6 address goes in brackets. */
export function serverUrl(hostname: string, port: number): string {
  return `http://${hostname.includes(':') ? `[${hostname}]` : hostname}:${port}`;
}
