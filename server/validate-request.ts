import * as v from 'valibot';
import { RUN_OPTIONS } from '../core/config/run-options.ts';
import { isPlainObject } from '../core/config/overrides.ts';
import { didYouMean } from '../core/suggest.ts';
import { type FieldIssue, HttpError } from './http-error.ts';
import { describeReceived } from '../core/config/issue-message.ts';
import { ENDPOINT_MODES, type EndpointMode, REQUEST_SCHEMAS, type RequestBody } from './request-schemas.ts';

const PLAIN_KEY = /^[A-Za-z_][\w-]*$/;

/** `options.quad.x`, `images[2]`; odd keys quoted: `options["a.b"]`. */
export function fieldPath(path: readonly { type: string; key: unknown }[] | undefined): string | undefined {
  if (!path || path.length === 0) return undefined;
  let out = '';
  for (const item of path) {
    if (item.type === 'array' || typeof item.key === 'number') out += `[${String(item.key)}]`;
    else {
      const key = String(item.key);
      out += PLAIN_KEY.test(key) ? (out ? `.${key}` : key) : `[${JSON.stringify(key)}]`;
    }
  }
  return out;
}

function fieldsOf(mode: EndpointMode): string[] {
  const schema = REQUEST_SCHEMAS[mode].pipe[0];
  return Object.keys(schema.entries);
}

/** Why a field that is not in this endpoint's schema was refused. */
function unknownFieldMessage(mode: EndpointMode, name: string): string {
  if (name === 'mode') return `set by the endpoint: POST /v1/{${ENDPOINT_MODES.join('|')}}`;
  const elsewhere = ENDPOINT_MODES.find((other) => other !== mode && fieldsOf(other).includes(name));
  if (elsewhere) return `not a field of /v1/${mode} (it belongs to /v1/${elsewhere})`;
  if (RUN_OPTIONS.some((option) => option.name === name.replaceAll('-', '_'))) {
    return 'cannot be set by a request: the model, the config file, files on the server and plugins are fixed when the service starts';
  }
  const valid = fieldsOf(mode);
  return `unknown field; valid fields: ${valid.join(', ')}${didYouMean(name, valid)}`;
}

function describe(issue: v.BaseIssue<unknown>, mode: EndpointMode): FieldIssue {
  const field = fieldPath(issue.path as { type: string; key: unknown }[] | undefined);
  const top = issue.path?.length === 1 ? String(issue.path[0]!.key) : undefined;
  if (issue.type === 'strict_object' && issue.expected === 'never' && top !== undefined) {
    return { field, message: unknownFieldMessage(mode, top) };
  }
  const received = describeReceived(issue.received);
  if (issue.kind === 'validation' || issue.type === 'custom') return { field, message: `${issue.message}, got ${received}` };
  return { field, message: `expected ${issue.expected === 'Object' ? 'an object' : issue.expected}, got ${received}` };
}

/**
 * Check a parsed body against an endpoint's schema. Throws a 400 HttpError naming the
 * first bad field, with every issue listed.
 *
 * @example
 * const body = validateRequest('sample', { n_samples: 4, seed: 7 });
 */
export function validateRequest(mode: EndpointMode, raw: unknown): RequestBody {
  if (!isPlainObject(raw)) {
    const got = raw === null ? 'null' : Array.isArray(raw) ? 'a list' : typeof raw;
    throw new HttpError(400, 'invalid_body', `the body must be a JSON object of fields, got ${got}`);
  }
  const result = v.safeParse(REQUEST_SCHEMAS[mode], raw);
  if (result.success) return result.output as RequestBody;
  const issues = result.issues.map((issue) => describe(issue, mode));
  const first = issues[0]!;
  const code = result.issues[0]!.type === 'strict_object' ? 'unknown_field' : 'invalid_field';
  return raiseIssues(code, first, issues);
}

function raiseIssues(code: string, first: FieldIssue, issues: readonly FieldIssue[]): never {
  const where = first.field ? `${first.field}: ` : '';
  throw new HttpError(400, code, `${where}${first.message}`, { field: first.field, issues });
}
