import { AbortedError, PluginError, UserError } from '../core/errors.ts';
import { HttpError } from './http-error.ts';
import { userErrorField } from './request-field.ts';

/**
 * Any error as an HttpError: HttpErrors as they are, a UserError (bad input the core
 * caught) as 400, anything else as 500 (a bug: the caller logs it).
 */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof AbortedError) {
    return new HttpError(499, 'client_closed_request', 'the client closed the request', { cause: error });
  }
  if (error instanceof UserError) {
    const { field, message } = userErrorField(error);
    return new HttpError(400, 'invalid_input', message, { field, cause: error });
  }
  if (error instanceof PluginError) {
    return new HttpError(500, 'plugin_error', `${error.message}; this request failed, the service goes on`, { cause: error });
  }
  return new HttpError(500, 'internal', 'internal error: the request could not be completed; see the server log', { cause: error });
}
