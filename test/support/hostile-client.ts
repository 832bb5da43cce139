/**
 * A client that misbehaves on purpose, over a raw loopback socket: it sends part of a
 * request and hangs up, drips bytes, or waits to see whether the server closes on it.
 */
import { type Socket, connect } from 'node:net';
import sharp from 'sharp';

/** A socket to the server at `base` (http://host:port), once connected. */
export function openSocket(base: string): Promise<Socket> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** The head of a POST, with whatever headers are given (Content-Length among them). */
export function postHead(path: string, headers: Record<string, string | number>): string {
  const lines = [`POST ${path} HTTP/1.1`, 'host: 127.0.0.1', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** A request body as bytes and its content-type, as fetch would send it. */
export async function encodedBody(body: FormData | string): Promise<{ bytes: Uint8Array; type: string }> {
  // Headers given at all (even none) stop a FormData body from setting its own multipart type.
  const init: RequestInit = typeof body === 'string' ? { method: 'POST', body, headers: { 'content-type': 'application/json' } } : { method: 'POST', body };
  const request = new Request('http://encode/', init);
  const type = request.headers.get('content-type')!;
  return { bytes: new Uint8Array(await request.arrayBuffer()), type };
}

/** A smooth gray PNG of `size`×`size`: small on the wire, `size`² pixels to decode. */
export async function gradientPng(size: number): Promise<Uint8Array> {
  const pixels = Buffer.alloc(size * size);
  for (let y = 0; y < size; y++) pixels.fill(Math.floor((y / size) * 255), y * size, (y + 1) * size);
  return new Uint8Array(await sharp(pixels, { raw: { width: size, height: size, channels: 1 } }).png().toBuffer());
}

/** Multipart fields and `count` copies of one image under "images". */
export function imagesForm(fields: Record<string, unknown>, png: Uint8Array, count: number): FormData {
  const form = new FormData();
  for (const [key, value] of Object.entries(fields)) form.append(key, typeof value === 'object' ? JSON.stringify(value) : String(value));
  for (let i = 0; i < count; i++) form.append('images', new Blob([png], { type: 'image/png' }), `${i}.png`);
  return form;
}

export interface Watched {
  /** All the server sent so far. */
  text(): string;
  /** Resolves (true) once the server has closed the connection, or false after `ms`. */
  closed(ms: number): Promise<boolean>;
  /** Resolves once what the server sent matches `pattern` (false after `ms` or on close without it). */
  received(pattern: RegExp, ms: number): Promise<boolean>;
}

/** Collects what the server sends on `socket` and notices when it closes. */
export function watch(socket: Socket): Watched {
  let text = '';
  let isClosed = false;
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const waiter of waiters) waiter();
  };
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString('latin1');
    wake();
  });
  socket.on('close', () => {
    isClosed = true;
    wake();
  });
  socket.on('error', () => undefined);
  const until = (done: () => boolean, ms: number) =>
    new Promise<boolean>((resolve) => {
      const check = () => {
        if (!done() && !isClosed) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve(done());
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        resolve(done());
      }, ms);
      waiters.add(check);
      check();
    });
  return {
    text: () => text,
    closed: (ms) => until(() => isClosed, ms),
    received: (pattern, ms) => until(() => pattern.test(text), ms),
  };
}

/** Send `data` and, after `thenWaitMs`, hang up (a reset, as a client that crashed or lost its network). */
export async function sendAndHangUp(base: string, data: readonly (string | Uint8Array)[], thenWait: number | (() => Promise<unknown>)): Promise<void> {
  const socket = await openSocket(base);
  socket.on('error', () => undefined);
  for (const part of data) socket.write(part);
  await (typeof thenWait === 'number' ? Bun.sleep(thenWait) : thenWait());
  socket.resetAndDestroy();
}

/** A 200 from GET /v1/health, and its time in ms. */
export async function healthTime(base: string): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  const response = await fetch(`${base}/v1/health`);
  await response.arrayBuffer();
  return { status: response.status, ms: performance.now() - started };
}
