/**
 * The app as a Workers-style module (`export default { fetch }`): Cloudflare Workers, Deno
 * Deploy, Bun and Deno's `serve` all take such an object. The pipeline is built on the
 * first request, since a module's top level may not do I/O in some of those runtimes.
 */
import { firstLine } from '../../core/errors.ts';
import type { Pipeline } from '../../core/pipeline.ts';
import { createApp } from '../app.ts';
import { HttpError } from '../http-error.ts';
import type { FetchHandler } from './listening-server.ts';

/** Seconds a failed start is answered with 503 before the next request tries again. */
const RETRY_AFTER_S = 5;

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
  // A start that failed is answered as failed until then, and tried again after: a model or
  // config that could not be fetched may be there by then, and none is rebuilt on every request.
  let retryAt = 0;
  return {
    async fetch(request) {
      if (app && retryAt > 0 && Date.now() >= retryAt) [app, retryAt] = [undefined, 0];
      app ??= options.pipeline().then((pipeline) => createApp({ pipeline, authToken: options.authToken }));
      let ready: FetchHandler;
      try {
        ready = await app;
      } catch (error) {
        if (retryAt === 0) retryAt = Date.now() + RETRY_AFTER_S * 1000;
        return new HttpError(503, 'not_ready', `the service could not start: ${firstLine(error)}`, { retryAfter: RETRY_AFTER_S }).toResponse();
      }
      return ready.fetch(request);
    },
  };
}
