import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { toHttpError } from './to-http-error.ts';
import { type Log, logUnexpected } from './log-errors.ts';
import { previewImages, progressBody, resultBody } from './result-body.ts';
import type { Admission, RequestHooks, RequestResult } from './request-types.ts';

/** Runs an admitted request (SamplingService.run). */
export type RequestRunner = (admission: Admission, hooks: RequestHooks) => Promise<RequestResult>;

/** text/event-stream: `accepted`, `progress` per step, `preview` every k steps, then `result` or `error`. */
export function streamResult(c: Context, runRequest: RequestRunner, admission: Admission, log: Log | undefined): Response {
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
    const { run } = prepared;
    void send('accepted', { id: admission.id, mode: run.mode.name, count: prepared.count, seed: run.config.seed, timesteps: run.timesteps });
    let previews: Promise<void> = Promise.resolve();
    try {
      const result = await runRequest(admission, {
        signal: gone.signal,
        onProgress: (progress) => void send('progress', progressBody(progress)),
        onPreview: prepared.previewEvery
          ? (x0, step, steps) => {
              const images = previewImages(x0, run.planContext.shape);
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
}
