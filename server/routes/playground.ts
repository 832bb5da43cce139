/**
 * The playground page (web/) at `/` and its files under /playground/: the page's scripts,
 * the onnxruntime-web WebAssembly files, the service's model and config for runs in the
 * browser. Every answer, a 404 and a 500 included, carries the headers that make the page
 * cross-origin isolated: WASM threads need SharedArrayBuffer, which needs isolation.
 */
import type { Hono } from 'hono';
import { HttpError } from '../http-error.ts';

export type PlaygroundBody = Uint8Array | string;

export interface PlaygroundFile {
  /** The bytes, or how to read them: a large file is read only when a 200 needs it (not for a 304 or a HEAD). */
  readonly body: PlaygroundBody | (() => Promise<PlaygroundBody>);
  /** The content-type header. */
  readonly type: string;
  /** A strong validator (a hash or a version): a matching If-None-Match gets a 304. */
  readonly etag?: string;
}

/** Where the page's files come from: web/playground.ts reads them from disk and bundles the scripts. */
export interface Playground {
  /** The file at `path` under /playground/ ('index.html' is the page), or undefined when there is none. */
  file(path: string): Promise<PlaygroundFile | undefined>;
}

/** COOP + COEP isolate the page; CORP lets an isolated page (or its workers) load each file. */
export const ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'cross-origin-resource-policy': 'same-origin',
};

/** A path of plain names below /playground/: no `..`, no hidden files, no empty segment. */
const SAFE_PATH = /^(?:[\w-][\w.-]*\/)*[\w-][\w.-]*$/;

const notFound = (path: string) => new HttpError(404, 'not_found', `no playground file ${path}`).toResponse(ISOLATION_HEADERS);

/** A file gone since start-up (ENOENT) is a 404; anything else a 500, both isolated. */
function failure(path: string, error: unknown): Response {
  if ((error as { code?: unknown } | null)?.code === 'ENOENT') return notFound(path);
  return new HttpError(500, 'internal', `internal error: cannot read playground file ${path}`, { cause: error }).toResponse(ISOLATION_HEADERS);
}

async function answer(playground: Playground, path: string, request: Request): Promise<Response> {
  const file = SAFE_PATH.test(path) && !path.includes('..') ? await playground.file(path) : undefined;
  if (!file) return notFound(path);
  const etag = file.etag === undefined ? undefined : `"${file.etag}"`;
  // Revalidated on every load: the page, its scripts and the model change with the service.
  const headers: Record<string, string> = { ...ISOLATION_HEADERS, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' };
  if (etag) headers.etag = etag;
  if (etag && request.headers.get('if-none-match')?.split(/\s*,\s*/).includes(etag)) return new Response(null, { status: 304, headers });
  headers['content-type'] = file.type;
  if (request.method === 'HEAD') return new Response(null, { headers });
  const body = typeof file.body === 'function' ? await file.body() : file.body;
  return new Response(body, { headers });
}

/**
 * The page and its files on GET (and HEAD), with the isolation headers.
 *
 * @example
 * playgroundRoutes(app, createPlayground(pipeline.config)); // createApp does this for deps.playground
 */
export function playgroundRoutes(app: Hono, playground: Playground): void {
  const serve = (path: string, request: Request) => answer(playground, path, request).catch((error: unknown) => failure(path, error));
  app.get('/', (c) => serve('index.html', c.req.raw));
  app.get('/playground/:path{.+}', (c) => serve(c.req.param('path'), c.req.raw));
}
