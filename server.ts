/**
 * The HTTP front: a Hono app over the shared pipeline. Web standards only (Request,
 * Response, streams, crypto.subtle), so the same app runs under Bun.serve, Deno.serve
 * and Node (@hono/node-server); the adapters own sockets, signals and the environment.
 */
import { Hono, type Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { Pipeline } from './core/pipeline.ts';
import { bearerAuth } from './server/bearer-auth.ts';
import { HttpError, toHttpError } from './server/http-error.ts';
import { negotiate } from './server/negotiate.ts';
import { jsonSchemaOf, openApiDocument } from './server/openapi.ts';
import type { ImageSource } from './core/plugin.ts';
import { prepareRequest, requestInputs } from './server/prepare-request.ts';
import { readPayload } from './server/read-payload.ts';
import { ENDPOINT_MODES, type EndpointMode } from './server/request-schemas.ts';
import { previewImages, progressBody, resultBody } from './server/result-body.ts';
import { type Admission, SamplingService } from './server/sampling-service.ts';
import { validateRequest } from './server/validate-request.ts';

export { SamplingService } from './server/sampling-service.ts';

export interface AppDeps {
  /** The loaded pipeline (its config and model are fixed for the app's life). Or give `service`. */
  readonly pipeline?: Pipeline;
  /** The service requests run on; the adapter keeps it to shut down gracefully. Default: one over `pipeline`. */
  readonly service?: SamplingService;
  /** Bearer token every request but GET /v1/health and /openapi.json must carry; unset: no auth. */
  readonly authToken?: string;
  /** One line per request and per unexpected error (default: none). */
  readonly log?: (line: string) => void;
  /** Reported in /openapi.json. */
  readonly version?: string;
}

const OPEN_PATHS = ['/v1/health', '/openapi.json'];

/** Logs what is a bug (a 5xx other than shutdown and timeout), with its stack. */
function logUnexpected(http: HttpError, error: unknown, log: ((line: string) => void) | undefined): void {
  if (http.status >= 500 && http.status !== 503 && http.status !== 504) {
    log?.(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
}

function errorResponse(error: unknown, log: ((line: string) => void) | undefined, headers: Record<string, string> = {}): Response {
  const http = toHttpError(error);
  logUnexpected(http, error, log);
  return http.toResponse(headers);
}

/**
 * The sampling service as a Hono app: POST /v1/{sample,interpolate,reconstruction},
 * GET /v1/health, /v1/plugins and /openapi.json.
 *
 * @example
 * const pipeline = await createPipeline(loadConfig('models/ddpm_fashion_mnist.yaml'));
 * const app = createApp({ pipeline });
 * Bun.serve({ hostname: '127.0.0.1', port: 8787, fetch: app.fetch });
 */
export function createApp(deps: AppDeps): Hono {
  const service = deps.service ?? (deps.pipeline ? new SamplingService(deps.pipeline) : undefined);
  if (!service) throw new TypeError('createApp: give a pipeline or a service');
  const { pipeline } = service;
  const { log } = deps;
  const limits = pipeline.config.server;
  const info = pipeline.model.info;
  const auth = Boolean(deps.authToken);
  const openapi = openApiDocument(pipeline.registry, pipeline.config, { version: deps.version, auth });
  const describe = (kind: 'mode' | 'schedule') =>
    pipeline.registry.list(kind).map((plugin) => ({ name: plugin.name, description: plugin.description, options: jsonSchemaOf(plugin.options) }));
  const plugins = { modes: describe('mode'), schedules: describe('schedule') };

  const app = new Hono();
  if (log) {
    app.use('*', async function requestLog(c, next) {
      const started = performance.now();
      await next();
      log(`${c.req.method} ${c.req.path} ${c.res.status} ${(performance.now() - started).toFixed(0)}ms`);
    });
  }
  app.use('*', bearerAuth({ token: deps.authToken, open: OPEN_PATHS }));

  app.get('/v1/health', (c) => {
    const stats = service.scheduler.stats;
    return c.json({
      status: service.draining ? 'draining' : 'ok',
      model: { file: info.path.split(/[\\/]/).pop() ?? info.path, sha256: pipeline.modelSha256, channels: info.channels, height: info.height, width: info.width },
      in_flight: service.inFlight,
      requests: service.counters,
      scheduler: {
        max_batch: service.scheduler.maxBatch,
        model_calls: stats.modelCalls,
        rows: stats.rows,
        mixed_calls: stats.mixedCalls,
        shared_calls: stats.sharedCalls,
        largest_batch: stats.largestBatch,
        queued_rows: stats.queuedRows,
      },
      limits: { ...limits, auth_token_env: undefined, auth },
    });
  });
  app.get('/v1/plugins', (c) => c.json(plugins));
  app.get('/openapi.json', (c) => c.json(openapi));

  /** A request over a size limit (413) counts as rejected in /v1/health, like one refused at admission. */
  const countingRefusals = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      if (error instanceof HttpError && error.status === 413) service.counters.rejected++;
      throw error;
    }
  };

  const endpoint = (mode: EndpointMode) =>
    async function modeEndpoint(c: Context): Promise<Response> {
      const kind = negotiate(c.req.header('accept'));
      if (!kind) {
        throw new HttpError(406, 'not_acceptable', 'accept: this endpoint answers application/json, image/png or text/event-stream', { field: 'accept' });
      }
      // Before reading a body that could take a while to arrive.
      service.assertAccepting();
      const { body, prepared } = await countingRefusals(async () => {
        const payload = await readPayload(c.req.raw, limits.max_body_bytes);
        const body = validateRequest(mode, payload.fields);
        return { body, prepared: await prepareRequest(pipeline, mode, body, payload.uploads) };
      });
      if (kind !== 'sse' && body.preview_every !== undefined) {
        throw new HttpError(400, 'invalid_field', 'preview_every: previews come only in an event stream; ask for Accept: text/event-stream or leave it out', {
          field: 'preview_every',
        });
      }
      if (kind === 'png' && prepared.count !== 1) {
        const field = mode === 'reconstruction' && body.n_samples === undefined ? 'images' : 'n_samples';
        throw new HttpError(
          406,
          'not_acceptable',
          `${field}: image/png holds one result, this request makes ${prepared.count} (n_samples is ${prepared.config.sampler.n_samples}); ` +
            'set n_samples to 1 or ask for application/json',
          { field },
        );
      }
      const admission = service.admit(prepared);
      let inputs: ImageSource | undefined;
      try {
        // Before any answer starts, so a corrupt image is a 400 even for an event stream.
        inputs = await countingRefusals(() => requestInputs(prepared, pipeline));
      } catch (error) {
        admission.release();
        throw error;
      }
      if (kind === 'sse') return streamResult(c, admission, inputs);
      const result = await service.run(admission, { signal: c.req.raw.signal, inputs });
      const headers = { 'x-request-id': result.id, 'x-ddim-seed': String(result.info.seed), 'x-ddim-steps': String(result.info.timesteps.length) };
      if (kind === 'png') return new Response(result.pngs[0]!, { headers: { ...headers, 'content-type': 'image/png' } });
      return c.json(resultBody(result), 200, headers);
    };

  /** text/event-stream: `accepted`, `progress` per step, `preview` every k steps, then `result` or `error`. */
  const streamResult = (c: Context, admission: Admission, inputs: ImageSource | undefined): Response => {
    c.header('x-request-id', admission.id);
    return streamSSE(c, async (stream) => {
      const gone = new AbortController();
      const leave = () => gone.abort();
      stream.onAbort(leave);
      c.req.raw.signal.addEventListener('abort', leave, { once: true });
      const send = (event: string, data: unknown): Promise<void> => {
        if (stream.aborted || stream.closed) return Promise.resolve();
        return stream.writeSSE({ event, data: JSON.stringify(data) }).catch(leave);
      };
      const { prepared } = admission;
      void send('accepted', { id: admission.id, mode: prepared.mode, count: prepared.count, seed: prepared.config.seed, timesteps: prepared.timesteps });
      let previews: Promise<void> = Promise.resolve();
      try {
        const result = await service.run(admission, {
          signal: gone.signal,
          inputs,
          onProgress: (progress) => void send('progress', progressBody(progress)),
          onPreview: prepared.previewEvery
            ? (x0, step, steps) => {
                const images = previewImages(x0, { channels: info.channels, height: info.height, width: info.width });
                previews = previews.then(async () => send('preview', { step, steps, images: await images }));
              }
            : undefined,
        });
        await previews;
        await send('result', resultBody(result));
      } catch (error) {
        if (gone.signal.aborted) return;
        await previews.catch(() => undefined);
        const http = toHttpError(error);
        logUnexpected(http, error, log);
        await send('error', http.toJSON());
      } finally {
        c.req.raw.signal.removeEventListener('abort', leave);
      }
    });
  };

  for (const mode of ENDPOINT_MODES) {
    app.post(`/v1/${mode}`, endpoint(mode));
    app.all(`/v1/${mode}`, () => new HttpError(405, 'method_not_allowed', `/v1/${mode} takes POST`).toResponse({ allow: 'POST' }));
  }
  for (const path of ['/v1/health', '/v1/plugins', '/openapi.json']) {
    app.all(path, () => new HttpError(405, 'method_not_allowed', `${path} takes GET`).toResponse({ allow: 'GET, HEAD' }));
  }
  app.notFound((c) => new HttpError(404, 'not_found', `no route ${c.req.method} ${c.req.path}; see /openapi.json`).toResponse());
  app.onError((error) => errorResponse(error, log));
  return app;
}
