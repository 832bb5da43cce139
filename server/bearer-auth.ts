import type { MiddlewareHandler } from 'hono';
import { HttpError } from './http-error.ts';

export interface BearerAuthOptions {
  /** The expected token; undefined or empty: no auth (every request passes). */
  readonly token?: string;
  /** Paths served without a token (exact match), e.g. a health check. */
  readonly open?: readonly string[];
}

const encoder = new TextEncoder();

async function digest(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(text)));
}

/**
 * Constant-time equality of two strings: both are hashed first, so neither the length
 * nor the position of the first differing byte shows in the timing.
 */
export async function tokensEqual(given: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([digest(given), digest(expected)]);
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}

/**
 * `Authorization: Bearer <token>` on every request but the open paths; 401 JSON otherwise.
 *
 * @example
 * app.use('*', bearerAuth({ token: env.DDIM_TOKEN, open: ['/v1/health'] }));
 */
export const bearerAuth = ({ token, open = [] }: BearerAuthOptions = {}): MiddlewareHandler =>
  async function bearerAuth(c, next) {
    if (!token || open.includes(c.req.path)) return next();
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
    if (!match || !(await tokensEqual(match[1]!, token))) {
      const error = new HttpError(401, 'unauthorized', header ? 'the bearer token is not valid' : 'this service needs Authorization: Bearer <token>', {
        field: 'authorization',
      });
      return error.toResponse({ 'www-authenticate': 'Bearer realm="ddim"' });
    }
    return next();
  };
