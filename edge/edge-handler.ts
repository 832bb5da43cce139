/**
 * The edge module's fetch handler: the runtime's secrets are read on the first request (a
 * Workers `env` exists only then) and the app is made with the bearer token they hold.
 */
import type { FetchHandler } from '../server/adapters/listening-server.ts';
import { bindingValue } from './binding-value.ts';

/** The secret (Workers) or environment variable (Deno) that holds the bearer token; unset or empty: no auth. */
export const TOKEN_BINDING = 'DDIM_TOKEN';

/** `export default { fetch }`: Workers call fetch(request, env), Deno fetch(request, info). */
export interface EdgeHandler {
  fetch(request: Request, env?: unknown): Promise<Response>;
}

/** @example export default edgeHandler((authToken) => workerHandler({ pipeline, authToken })); */
export function edgeHandler(start: (authToken: string | undefined) => FetchHandler): EdgeHandler {
  let handler: FetchHandler | undefined;
  return {
    async fetch(request, env) {
      handler ??= start(bindingValue(TOKEN_BINDING, env) || undefined);
      return handler.fetch(request);
    },
  };
}
