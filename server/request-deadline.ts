/**
 * One clock per request, started when the request reaches the app: reading the body,
 * decoding uploads, waiting in the queue and running all spend the same
 * server.request_timeout_ms, and all stop when the client leaves.
 */

/** Why a request's work was stopped. */
export type CancelReason = 'client' | 'timeout' | 'shutdown';

export interface RequestDeadline {
  /** Epoch milliseconds at which the clock started. */
  readonly startedAt: number;
  /** Epoch milliseconds at which the request is cancelled with a 504. */
  readonly at: number;
  /** Aborts with reason 'timeout' at `at`, or 'client' when the request's own signal aborts. */
  readonly signal: AbortSignal;
  /** Stops the timer and lets go of the request's signal. */
  dispose(): void;
}

/**
 * A deadline `timeoutMs` from now that also follows the client's signal.
 *
 * @example
 * const deadline = requestDeadline(c.req.raw.signal, limits.request_timeout_ms);
 * try { await readPayload(c.req.raw, { ...limits, signal: deadline.signal }); } finally { deadline.dispose(); }
 */
export function requestDeadline(clientSignal: AbortSignal | undefined, timeoutMs: number, now = Date.now()): RequestDeadline {
  const controller = new AbortController();
  const onClientAbort = () => controller.abort('client' satisfies CancelReason);
  const timer = setTimeout(() => controller.abort('timeout' satisfies CancelReason), Math.max(0, now + timeoutMs - Date.now()));
  if (clientSignal?.aborted) onClientAbort();
  else clientSignal?.addEventListener('abort', onClientAbort, { once: true });
  return {
    startedAt: now,
    at: now + timeoutMs,
    signal: controller.signal,
    dispose() {
      clearTimeout(timer);
      clientSignal?.removeEventListener('abort', onClientAbort);
    },
  };
}
