import type { HttpError } from './http-error.ts';
import { toHttpError } from './to-http-error.ts';

export type Log = (line: string) => void;

/** Logs what is a bug (a 5xx other than shutdown and timeout), with its stack. */
export function logUnexpected(http: HttpError, error: unknown, log: Log | undefined): void {
  if (http.status >= 500 && http.status !== 503 && http.status !== 504) {
    log?.(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
}

/** Any error as its JSON answer, logged when it is unexpected. */
export function errorResponse(error: unknown, log: Log | undefined, headers: Record<string, string> = {}): Response {
  const http = toHttpError(error);
  logUnexpected(http, error, log);
  return http.toResponse(headers);
}
