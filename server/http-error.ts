/**
 * Every answer the service gives to a request it cannot serve: a status, a stable
 * machine-readable code, a readable message, and the request field at fault.
 */

/** One problem with a request, located by its field (dotted, with [i] for list items). */
export interface FieldIssue {
  readonly field: string | undefined;
  readonly message: string;
}

/** The JSON body of every error answer. */
export interface ErrorBody {
  readonly error: {
    readonly status: number;
    readonly code: string;
    readonly message: string;
    readonly field?: string;
    readonly issues?: readonly FieldIssue[];
  };
}

export interface HttpErrorOptions {
  readonly field?: string;
  readonly issues?: readonly FieldIssue[];
  /** Seconds, for 429 and 503. */
  readonly retryAfter?: number;
  readonly cause?: unknown;
}

export class HttpError extends Error {
  override readonly name = 'HttpError';
  readonly status: number;
  readonly code: string;
  readonly field: string | undefined;
  readonly issues: readonly FieldIssue[] | undefined;
  readonly retryAfter: number | undefined;

  constructor(status: number, code: string, message: string, options: HttpErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = status;
    this.code = code;
    this.field = options.field;
    this.issues = options.issues;
    this.retryAfter = options.retryAfter;
  }

  toJSON(): ErrorBody {
    return {
      error: {
        status: this.status,
        code: this.code,
        message: this.message,
        ...(this.field === undefined ? {} : { field: this.field }),
        ...(this.issues === undefined ? {} : { issues: this.issues }),
      },
    };
  }

  /** The error as a JSON response (with Retry-After when set). */
  toResponse(headers: Record<string, string> = {}): Response {
    const all: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', ...headers };
    if (this.retryAfter !== undefined) all['retry-after'] = String(this.retryAfter);
    return new Response(JSON.stringify(this.toJSON()), { status: this.status, headers: all });
  }
}
