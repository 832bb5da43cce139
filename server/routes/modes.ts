/**
 * POST /v1/modes/{name} (and /v1/{name}) for every registered mode, built-in or plugin:
 * read and validate the body against the mode's schema, prepare the run once, admit it,
 * decode its input images, then answer JSON, one PNG or an event stream.
 */
import type { Context, Hono } from 'hono';
import type { ModePlugin } from '../../core/plugin.ts';
import { HttpError } from '../http-error.ts';
import type { Log } from '../log-errors.ts';
import { DEFAULT_MODE_PATH, modePaths } from '../mode-paths.ts';
import { negotiate } from '../negotiate.ts';
import { prepareRequest } from '../prepare-request.ts';
import type { PreparedRequest } from '../request-types.ts';
import { readPayload } from '../read-payload.ts';
import { type RequestBody, requestSchemas } from '../request-schemas.ts';
import { resultBody } from '../result-body.ts';
import { bodyRead } from '../body-read.ts';
import { type CancelReason, type RequestDeadline, requestDeadline } from '../request-deadline.ts';
import type { SamplingService } from '../sampling-service.ts';
import { streamResult } from '../stream-result.ts';
import { validateRequest } from '../validate-request.ts';

/** The Accept header's answer kind, or a 406. */
function answerKind(c: Context) {
  const kind = negotiate(c.req.header('accept'));
  if (!kind) throw new HttpError(406, 'not_acceptable', 'accept: this endpoint answers application/json, image/png or text/event-stream', { field: 'accept' });
  return kind;
}

/** Refusals that depend on the answer kind: previews need a stream, a PNG holds one item. */
function checkAnswerFits(kind: string, mode: ModePlugin, body: RequestBody, prepared: PreparedRequest): void {
  if (kind !== 'sse' && body.preview_every !== undefined) {
    throw new HttpError(400, 'invalid_field', 'preview_every: previews come only in an event stream; ask for Accept: text/event-stream or leave it out', {
      field: 'preview_every',
    });
  }
  if (kind === 'png' && prepared.count !== 1) {
    const field = prepared.uploads.length > 0 && body.n_samples === undefined ? 'images' : 'n_samples';
    throw new HttpError(
      406,
      'not_acceptable',
      `${field}: image/png holds one result, this request makes ${prepared.count} (n_samples is ${prepared.run.config.sampler.n_samples}); ` +
        'set n_samples to 1 or ask for application/json',
      { field },
    );
  }
}

/** Work that stops when the request's deadline passes or its client leaves: a 504, or nobody to answer. Counted in /v1/health. */
async function withinDeadline<T>(service: SamplingService, deadline: RequestDeadline, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (deadline.signal.aborted) {
      const reason = deadline.signal.reason as CancelReason;
      service.counters.cancelled[reason]++;
      throw service.cancellation(reason, error);
    }
    // A body that broke off is a client that left, whether or not the runtime has said so yet.
    if (error instanceof HttpError && error.code === 'unreadable_body') service.counters.cancelled.client++;
    throw error;
  }
}

export function modeRoutes(app: Hono, service: SamplingService, log: Log | undefined): void {
  const { pipeline } = service;
  const schemas = requestSchemas(pipeline.registry);
  const limits = pipeline.config.server;

  /** A request over a size limit (413) counts as rejected in /v1/health, like one refused at admission. */
  const countingRefusals = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      if (error instanceof HttpError && error.status === 413) service.counters.rejected++;
      throw error;
    }
  };

  const endpoint = (mode: ModePlugin) =>
    async function modeEndpoint(c: Context): Promise<Response> {
      const kind = answerKind(c);
      // Before reading a body that could take a while to arrive.
      service.assertAccepting();
      const request = c.req.raw;
      // One clock from here: reading, decoding, queue and run all spend server.request_timeout_ms.
      const deadline = requestDeadline(request.signal, limits.request_timeout_ms);
      try {
        const { body, prepared } = await withinDeadline(service, deadline, () =>
          countingRefusals(async () => {
            const payload = await readPayload(request, { maxBytes: limits.max_body_bytes, timeoutMs: limits.body_timeout_ms, signal: deadline.signal });
            bodyRead(request);
            const body = validateRequest(schemas, mode.name, payload.fields);
            return { body, prepared: await prepareRequest(pipeline, mode, body, payload.uploads) };
          }),
        );
        checkAnswerFits(kind, mode, body, prepared);
        const admission = service.admit(prepared, { startedAt: deadline.startedAt });
        try {
          // Before any answer starts, so a corrupt image is a 400 even for an event stream; image by image, so a
          // client that left or a deadline that passed stops the decoding.
          await withinDeadline(service, deadline, () =>
            countingRefusals(async () => {
              for (const source of prepared.uploads) await source.decode(prepared.count, deadline.signal);
            }),
          );
          admission.decoded();
        } catch (error) {
          admission.release();
          throw error;
        }
        if (kind === 'sse') return streamResult(c, (admitted, hooks) => service.run(admitted, hooks), admission, log);
        const result = await service.run(admission, { signal: request.signal });
        const headers = { 'x-request-id': result.id, 'x-ddim-seed': String(result.info.seed), 'x-ddim-steps': String(result.info.timesteps.length) };
        if (kind === 'png') return new Response(result.pngs[0]!, { headers: { ...headers, 'content-type': 'image/png' } });
        return c.json(resultBody(result), 200, headers);
      } finally {
        deadline.dispose();
      }
    };

  const route = (path: string, mode: ModePlugin) => {
    app.post(path, endpoint(mode));
    app.all(path, () => new HttpError(405, 'method_not_allowed', `${path} takes POST`).toResponse({ allow: 'POST' }));
  };
  for (const mode of pipeline.registry.list('mode')) for (const path of modePaths(mode.name)) route(path, mode);
  // The config's sampler.mode, checked when the app is made: an unknown name stops the service from starting.
  route(DEFAULT_MODE_PATH, pipeline.registry.get('mode', pipeline.config.sampler.mode, 'sampler.mode'));
}
