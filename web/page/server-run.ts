/**
 * A run on the server: POST to the mode's route with `Accept: text/event-stream` and
 * `preview_every`, reporting the stream's `accepted`, `progress` and `preview` events as
 * they arrive, and resolving with its `result`.
 */
import { fromBase64, toBase64 } from './base64.ts';
import { FieldError } from './field-error.ts';
import type { RunEvents, RunRequest, RunResult } from './messages.ts';


interface ErrorBody {
  readonly error?: { readonly message?: string; readonly field?: string };
}

function requestBody(request: RunRequest): Record<string, unknown> {
  const body: Record<string, unknown> = { preview_every: request.previewEvery };
  for (const [name, value] of Object.entries(request.fields)) if (value !== undefined) body[name] = value;
  if (Object.keys(request.options).length > 0) body.options = request.options;
  if (request.images.length > 0) body.images = request.images.map(toBase64);
  if (request.masks.length > 0) body.masks = request.masks.map(toBase64);
  return body;
}

/** The server-sent events of a response body, as (event, parsed data) pairs. */
async function* serverEvents(body: ReadableStream<Uint8Array<ArrayBuffer>>): AsyncGenerator<{ event: string; data: unknown }> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    buffer += value.replaceAll('\r\n', '\n');
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length > 0) yield { event, data: JSON.parse(data.join('\n')) };
    }
  }
}

interface ResultBody {
  readonly seed: number;
  readonly timesteps: readonly number[];
  readonly images: readonly { readonly index: number; readonly png: string }[];
  readonly timings: { readonly total_ms: number };
}

/**
 * @example
 * const result = await runOnServer(request, events, controller.signal);
 */
export async function runOnServer(request: RunRequest, events: RunEvents, signal: AbortSignal): Promise<RunResult> {
  const response = await fetch(`/v1/modes/${encodeURIComponent(request.mode)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify(requestBody(request)),
    signal,
  });
  if (!response.ok || !response.body) {
    const body = (await response.json().catch(() => ({}))) as ErrorBody;
    throw new FieldError(body.error?.message ?? `HTTP ${response.status}`, body.error?.field);
  }
  for await (const { event, data } of serverEvents(response.body)) {
    if (event === 'accepted') {
      const accepted = data as { count: number; timesteps: readonly number[] };
      events.accepted(accepted.count, accepted.timesteps.length);
    } else if (event === 'progress') {
      const p = data as { step: number; steps: number; items_done: number; items: number };
      events.progress({ step: p.step, steps: p.steps, itemsDone: p.items_done, items: p.items });
    } else if (event === 'preview') {
      const preview = data as { step: number; steps: number; images: readonly string[] };
      events.preview(preview.step, preview.steps, preview.images.map((png) => ({ png: fromBase64(png) })));
    } else if (event === 'error') {
      const error = (data as ErrorBody).error;
      throw new FieldError(error?.message ?? 'the run failed', error?.field);
    } else if (event === 'result') {
      const result = data as ResultBody;
      const pngs = [...result.images].sort((a, b) => a.index - b.index).map((image) => fromBase64(image.png));
      return { pngs, seed: result.seed, steps: result.timesteps.length, ms: result.timings.total_ms };
    }
  }
  throw new FieldError('the event stream ended without a result');
}
