/**
 * The app under Deno: Deno.serve. Needs --allow-net for the address it listens on. Deno 2.9
 * still aborts request.signal after every successful response and says so once on stderr;
 * `deno run --unstable-no-legacy-abort` gives the signal its web meaning (the client went
 * away) and silences the note. The app copes with either: a run that finished has nothing left to cancel.
 */
import { type FetchHandler, type ListenOptions, type ListeningServer, serverUrl } from './listening-server.ts';

/** The part of Deno's API this adapter uses (the project type-checks without Deno's types). */
interface DenoHttpServer {
  readonly addr: { readonly hostname: string; readonly port: number };
  shutdown(): Promise<void>;
  unref(): void;
}
interface DenoServe {
  serve(
    options: { hostname: string; port: number; onListen?: (addr: unknown) => void },
    handler: (request: Request) => Response | Promise<Response>,
  ): DenoHttpServer;
}

/**
 * Serve `app` with Deno.serve on `hostname:port`.
 *
 * @example
 * const server = await listen(createApp({ pipeline }), { hostname: '127.0.0.1', port: 8787 });
 * await server.stop();
 */
export async function listen(app: FetchHandler, { hostname, port }: ListenOptions): Promise<ListeningServer> {
  const { Deno } = globalThis as unknown as { Deno: DenoServe };
  // onListen: Deno's default prints "Listening on …" to stdout, which belongs to the caller.
  const server = Deno.serve({ hostname, port, onListen() {} }, (request) => app.fetch(request));
  let shutdown: Promise<void> | undefined;
  return {
    url: serverUrl(hostname, server.addr.port),
    hostname,
    port: server.addr.port,
    async stop(closeActive = false) {
      shutdown ??= server.shutdown();
      if (!closeActive) return shutdown;
      // Deno cannot cut active connections: stop waiting for them and let the process end under them.
      server.unref();
    },
  };
}
