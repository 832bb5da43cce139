import { parseOverride } from '../core/config/overrides.ts';
import { HttpError } from './http-error.ts';
import type { Upload } from './upload-images.ts';
import { firstLine } from '../core/errors.ts';

/** Uploaded files by the mode input they are for. */
export interface Uploads {
  readonly images: readonly Upload[];
  readonly masks: readonly Upload[];
}

/** A request body as fields (JSON, or multipart text parts) plus uploaded files. */
export interface Payload {
  readonly fields: unknown;
  readonly uploads: Uploads;
}

const NO_UPLOADS: Uploads = { images: [], masks: [] };

/** Multipart file parts: the input each part name is for. */
const FILE_FIELDS: Record<string, keyof Uploads> = { images: 'images', image: 'images', masks: 'masks', mask: 'masks' };

/** How much of a body the server takes, and for how long it waits for it. */
export interface BodyLimits {
  readonly maxBytes: number;
  /** The whole body must be in within this long (server.body_timeout_ms); default: no limit. */
  readonly timeoutMs?: number;
  /** The request's deadline: reading stops when it aborts, rejecting with its reason. */
  readonly signal?: AbortSignal;
}

/**
 * Reads that reject at `timeoutMs` with a 408, or when `signal` aborts with its reason; `stop`
 * clears the timer. Each read races a promise of its own: racing every read against one
 * long-lived promise would leave a reaction on it per chunk until the request ends (a body
 * trickled in tiny chunks grows the heap by tens of bytes a chunk).
 */
function cutOffReads<R>(reader: { read(): Promise<R> }, timeoutMs: number | undefined, signal: AbortSignal | undefined) {
  let stopped: { reason: unknown } | undefined;
  let rejectRead: (reason: unknown) => void = () => {};
  const cut = (reason: unknown) => {
    stopped ??= { reason };
    rejectRead(stopped.reason);
  };
  const onAbort = () => cut(signal!.reason);
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(() => cut(new HttpError(408, 'body_timeout', `the body did not arrive within ${timeoutMs} ms (server.body_timeout_ms)`, { field: 'body' })), timeoutMs);
  if (signal?.aborted) onAbort();
  signal?.addEventListener('abort', onAbort, { once: true });
  return {
    read: (): Promise<R> =>
      stopped
        ? Promise.reject(stopped.reason)
        : new Promise((resolve, reject) => {
            rejectRead = reject;
            reader.read().then(resolve, reject);
          }),
    stop() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    },
  };
}

/**
 * The body's bytes, refusing more than `maxBytes` (413) without reading past the limit,
 * and a body slower than `timeoutMs` (408). An aborted `signal` rejects with its reason.
 */
export async function readBodyBytes(request: Request, { maxBytes, timeoutMs, signal }: BodyLimits): Promise<Uint8Array> {
  const tooLarge = () => new HttpError(413, 'payload_too_large', `the body is larger than ${maxBytes} bytes (server.max_body_bytes)`, { field: 'body' });
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge();
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const { read, stop } = cutOffReads(reader, timeoutMs, signal);
  try {
    for (;;) {
      const { done, value } = await read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) throw tooLarge();
      chunks.push(value);
    }
  } catch (error) {
    // Whatever stopped the reading, the rest of the body is not wanted (the adapter closes the connection after the answer).
    reader.cancel().catch(() => undefined);
    if (error instanceof HttpError || signal?.aborted) throw error;
    throw new HttpError(400, 'unreadable_body', 'the body could not be read to its end', { field: 'body', cause: error });
  } finally {
    stop();
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

function mediaType(request: Request): string {
  return (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
}

function parseJson(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new HttpError(400, 'invalid_json', 'the body is not UTF-8 text', { field: 'body' });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new HttpError(400, 'invalid_json', `the body is not valid JSON: ${reason}`, { field: 'body' });
  }
}

async function parseMultipart(request: Request, bytes: Uint8Array): Promise<Payload> {
  let form: Awaited<ReturnType<Request['formData']>>;
  try {
    const copy = new Request(request.url, { method: 'POST', headers: { 'content-type': request.headers.get('content-type')! }, body: bytes });
    form = await copy.formData();
  } catch (error) {
    const reason = firstLine(error);
    throw new HttpError(400, 'invalid_multipart', `the body is not valid multipart/form-data: ${reason}`, { field: 'body' });
  }
  // A Map, then fromEntries: a part named __proto__ stays an own (and so unknown) field.
  const fields = new Map<string, unknown>();
  const uploads = { images: [] as Upload[], masks: [] as Upload[] };
  for (const [name, value] of form.entries()) {
    if (typeof value !== 'string') {
      const input = Object.hasOwn(FILE_FIELDS, name) ? FILE_FIELDS[name] : undefined;
      if (!input) throw new HttpError(400, 'unknown_field', `${name}: files go in parts named "images" (or "masks")`, { field: name });
      const list = uploads[input];
      list.push({ field: `${input}[${list.length}]`, name: value.name || `upload ${list.length}`, bytes: new Uint8Array(await value.arrayBuffer()) });
      continue;
    }
    if (fields.has(name)) throw new HttpError(400, 'invalid_field', `${name}: given more than once`, { field: name });
    if (name === 'options') {
      try {
        fields.set(name, JSON.parse(value));
      } catch {
        throw new HttpError(400, 'invalid_field', 'options: expected a JSON object', { field: name });
      }
    } else {
      // Text parts are read like CLI flag values (as YAML scalars): "4" is 4, "null" is null.
      fields.set(name, parseOverride(`x=${value}`).value);
    }
  }
  return { fields: Object.fromEntries(fields), uploads };
}

/**
 * Read a request body: `application/json` (or an empty body) gives fields; with
 * `multipart/form-data`, text parts are fields and file parts named `images` (or `masks`) are uploads.
 */
export async function readPayload(request: Request, limits: BodyLimits): Promise<Payload> {
  const type = mediaType(request);
  const bytes = await readBodyBytes(request, limits);
  if (bytes.byteLength === 0 && type !== 'multipart/form-data') return { fields: {}, uploads: NO_UPLOADS };
  if (type === 'application/json' || /^application\/[\w.-]+\+json$/.test(type)) return { fields: parseJson(bytes), uploads: NO_UPLOADS };
  if (type === 'multipart/form-data') return parseMultipart(request, bytes);
  throw new HttpError(415, 'unsupported_media_type', `content-type ${type || '(none)'}: send application/json, or multipart/form-data to upload images`, {
    field: 'content-type',
  });
}
