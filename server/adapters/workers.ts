/**
 * The app as a Workers-style module (`export default { fetch }`): Cloudflare Workers, Deno
 * Deploy, Bun and Deno's `serve` all take such an object. The pipeline is built on the
 * first request, since a module's top level may not do I/O in some of those runtimes.
 */
import { firstLine, isUserError } from '../../core/errors.ts';
import type { Pipeline } from '../../core/pipeline.ts';
import { createApp } from '../app.ts';
import { HttpError } from '../http-error.ts';
import type { FetchHandler } from './listening-server.ts';

export interface WorkerOptions {
  /** Builds the pipeline once, on the first request. */
  readonly pipeline: () => Promise<Pipeline>;
  readonly authToken?: string;
}

/**
 * A fetch handler that builds the app on its first request.
 *
 * @example
 * // worker.ts
 * export default workerHandler({ pipeline: () => createPipeline(configFromObject(config)) });
 */
export function workerHandler(options: WorkerOptions): FetchHandler {
  let app: Promise<FetchHandler> | undefined;
  return {
    async fetch(request) {
      app ??= options.pipeline().then((pipeline) => createApp({ pipeline, authToken: options.authToken }));
      let ready: FetchHandler;
      try {
        ready = await app;
      } catch (error) {
        // A model or config that could not be fetched may be there on the next request; a
        // config or model the toolkit refused (a UserError) will not, and stays refused.
        if (!isUserError(error)) app = undefined;
        return new HttpError(503, 'not_ready', `the service could not start: ${firstLine(error)}`, { retryAfter: 5 }).toResponse();
      }
      return ready.fetch(request);
    },
  };
}
