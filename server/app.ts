/**
 * The HTTP front: a Hono app over the shared pipeline. Web standards only (Request,
 * Response, streams, crypto.subtle), so the same app runs under Bun.serve, Deno.serve,
 * Node and Workers-style runtimes; the adapters in server/adapters own sockets and signals.
 */
import { Hono } from 'hono';
import type { Pipeline } from '../core/pipeline.ts';
import { bearerAuth } from './bearer-auth.ts';
import { HttpError } from './http-error.ts';
import { type Log, errorResponse } from './log-errors.ts';
import { infoRoutes } from './routes/info.ts';
import { modeRoutes } from './routes/modes.ts';
import { type Playground, playgroundRoutes } from './routes/playground.ts';
import { SamplingService } from './sampling-service.ts';

export interface AppDeps {
  /** The loaded pipeline (its config and model are fixed for the app's life). Or give `service`. */
  readonly pipeline?: Pipeline;
  /** The service requests run on; the adapter keeps it to shut down gracefully. Default: one over `pipeline`. */
  readonly service?: SamplingService;
  /** Bearer token every request but GET /v1/health and /openapi.json must carry; unset: no auth. */
  readonly authToken?: string;
  /** One line per request and per unexpected error (default: none). */
  readonly log?: Log;
  /** Reported in /openapi.json. */
  readonly version?: string;
  /** The playground page at / (web/playground.ts makes one); default: none. */
  readonly playground?: Playground;
}

const OPEN_PATHS = ['/v1/health', '/openapi.json'];

/** Logs one line per request: method, path, status, time. */
const requestLog = (log: Log) =>
  async function requestLog(c: { req: { method: string; path: string }; res: Response }, next: () => Promise<void>): Promise<void> {
    const started = performance.now();
    await next();
    log(`${c.req.method} ${c.req.path} ${c.res.status} ${(performance.now() - started).toFixed(0)}ms`);
  };

/**
 * The sampling service as a Hono app: POST /v1/modes/{mode} (and /v1/{mode}) for every
 * registered mode, GET /v1/health, /v1/plugins and /openapi.json.
 *
 * @example
 * const pipeline = await createPipeline(loadConfig('models/ddpm_fashion_mnist.yaml'));
 * const app = createApp({ pipeline });
 * export default { fetch: app.fetch };
 */
export function createApp(deps: AppDeps): Hono {
  const service = deps.service ?? (deps.pipeline ? new SamplingService(deps.pipeline) : undefined);
  if (!service) throw new TypeError('createApp: give a pipeline or a service');
  const { log } = deps;
  const app = new Hono();
  if (log) app.use('*', requestLog(log));
  app.use('*', bearerAuth({ token: deps.authToken, open: OPEN_PATHS }));
  infoRoutes(app, service, { auth: Boolean(deps.authToken), version: deps.version });
  modeRoutes(app, service, log);
  if (deps.playground) playgroundRoutes(app, deps.playground);
  for (const path of ['/v1/health', '/v1/plugins', '/openapi.json']) {
    app.all(path, () => new HttpError(405, 'method_not_allowed', `${path} takes GET`).toResponse({ allow: 'GET, HEAD' }));
  }
  app.notFound((c) => new HttpError(404, 'not_found', `no route ${c.req.method} ${c.req.path}; see /openapi.json`).toResponse());
  app.onError((error) => errorResponse(error, log));
  return app;
}
