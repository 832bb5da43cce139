/**
 * What every socket adapter puts in front of the app: a cap on requests with a body open
 * at once (server.max_connections), and `Connection: close` on every refusal of a request
 * that brought a body, so that a client refused with a 401, 413 or 400 cannot keep
 * streaming the rest of its body into the connection.
 */
import { HttpError } from '../http-error.ts';
import type { FetchHandler } from './listening-server.ts';

export interface GuardOptions {
  /** Requests with a body open at once; past it: 503 with Retry-After, connection closed. */
  readonly maxConnections: number;
}

export interface GuardedHandler extends FetchHandler {
  /** Requests with a body the app is handling now. */
  readonly open: number;
}

/** GET and HEAD carry no body: health checks and pages stay answerable past the cap. */
const hasBody = (request: Request) => request.method !== 'GET' && request.method !== 'HEAD';

function closingConnection(response: Response): Response {
  try {
    response.headers.set('connection', 'close');
    return response;
  } catch {
    // Immutable headers (a response passed through from elsewhere): copy them.
    const copy = new Response(response.body, response);
    copy.headers.set('connection', 'close');
    return copy;
  }
}

/**
 * The app behind the cap and the refusal rule.
 *
 * @example
 * const guarded = guardRequests(app, { maxConnections: 1024 });
 * Bun.serve({ fetch: (request) => guarded.fetch(request) });
 */
export function guardRequests(app: FetchHandler, { maxConnections }: GuardOptions): GuardedHandler {
  let open = 0;
  return {
    get open() {
      return open;
    },
    async fetch(request) {
      if (!hasBody(request)) return app.fetch(request);
      if (open >= maxConnections) {
        const refusal = new HttpError(503, 'too_many_connections', `the server has ${open} requests open, the most it takes (server.max_connections); retry later`, {
          retryAfter: 1,
        });
        return refusal.toResponse({ connection: 'close' });
      }
      open++;
      try {
        const response = await app.fetch(request);
        return response.status >= 400 ? closingConnection(response) : response;
      } finally {
        open--;
      }
    },
  };
}
