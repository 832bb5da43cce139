/**
 * The app tells its adapter when a request's body is in. Bun's idle timer must cut a
 * client that stops sending, but not a request whose answer is still being computed:
 * the adapter turns the timer off only from here on, when server.request_timeout_ms takes over.
 */
const listeners = new WeakMap<Request, () => void>();

/** Adapter side: call `listener` once the app has read `request`'s body. */
export function whenBodyRead(request: Request, listener: () => void): void {
  listeners.set(request, listener);
}

/** App side: `request`'s body has been read to its end. */
export function bodyRead(request: Request): void {
  const listener = listeners.get(request);
  listeners.delete(request);
  listener?.();
}
