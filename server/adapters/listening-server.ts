/**
 * The contract every runtime adapter keeps: the app is only `fetch(request) => Response`;
 * an adapter puts it on a socket and takes it off again. `ddim serve` and the runtime
 * tests see nothing else of Bun, Node or Deno.
 */

/** A web-standard request handler, e.g. a Hono app. */
export interface FetchHandler {
  fetch(request: Request): Response | Promise<Response>;
}

export interface ListenOptions {
  readonly hostname: string;
  /** 0: any free port (see `ListeningServer.port` for the one taken). */
  readonly port: number;
}

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
