import * as v from 'valibot';
import { RUN_OPTIONS } from '../core/config/run-options.ts';
import { isPlainObject } from '../core/config/overrides.ts';
import { RESERVED_KEYS, findStructureProblem } from '../core/config/structure-limits.ts';
import { didYouMean } from '../core/suggest.ts';
import { type FieldIssue, HttpError } from './http-error.ts';
import { describeReceived } from '../core/config/issue-message.ts';
import type { RequestBody, RequestSchema } from './request-schemas.ts';

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

/** Why a field that is not in this mode's schema was refused. */
function unknownFieldMessage(schemas: ReadonlyMap<string, RequestSchema>, mode: string, name: string): string {
  if (name === 'mode') return `set by the endpoint: POST /v1/modes/{${[...schemas.keys()].join('|')}}`;
  const elsewhere = [...schemas].find(([other, schema]) => other !== mode && Object.hasOwn(schema.entries, name))?.[0];
  if (elsewhere) return `not a field of /v1/${mode} (it belongs to /v1/${elsewhere})`;
  if (RUN_OPTIONS.some((option) => option.name === name.replaceAll('-', '_'))) {
    return 'cannot be set by a request: the model, the config file, files on the server and plugins are fixed when the service starts';
  }
  const valid = Object.keys(schemas.get(mode)?.entries ?? {});
  return `unknown field; valid fields: ${valid.join(', ')}${didYouMean(name, valid)}`;
}

function describe(issue: v.BaseIssue<unknown>, schemas: ReadonlyMap<string, RequestSchema>, mode: string): FieldIssue {
  const field = fieldPath(issue.path as { type: string; key: unknown }[] | undefined);
  const top = issue.path?.length === 1 ? String(issue.path[0]!.key) : undefined;
  if (issue.type === 'strict_object' && issue.expected === 'never' && top !== undefined) {
    return { field, message: unknownFieldMessage(schemas, mode, top) };
  }
  const received = describeReceived(issue.received);
  if (issue.kind === 'validation' || issue.type === 'custom') return { field, message: `${issue.message}, got ${received}` };
  return { field, message: `expected ${issue.expected === 'Object' ? 'an object' : issue.expected}, got ${received}` };
}

/**
 * The body's shape within the limits before anything walks it: nesting depth, keys in all and
 * no prototype key anywhere (valibot would drop one from `options` silently).
 */
function checkStructure(raw: unknown): void {
  const problem = findStructureProblem(raw);
  if (!problem) return;
  const field = fieldPath(problem.path.map((key) => ({ type: typeof key === 'number' ? 'array' : 'object', key })));
  const code = RESERVED_KEYS.has(String(problem.path.at(-1))) ? 'unknown_field' : 'invalid_field';
  throw new HttpError(400, code, `${field ?? 'the body'}: ${problem.message}`, { field });
}

/**
 * Check a parsed body against a mode's request schema. Throws a 400 HttpError naming the
 * first bad field, with every issue listed.
 *
 * @example
 * const body = validateRequest(requestSchemas(registry), 'sample', { n_samples: 4, seed: 7 });
 */
export function validateRequest(schemas: ReadonlyMap<string, RequestSchema>, mode: string, raw: unknown): RequestBody {
  if (!isPlainObject(raw)) {
    const got = raw === null ? 'null' : Array.isArray(raw) ? 'a list' : typeof raw;
    throw new HttpError(400, 'invalid_body', `the body must be a JSON object of fields, got ${got}`);
  }
  const schema = schemas.get(mode);
  if (!schema) throw new HttpError(404, 'not_found', `no mode "${mode}"; see /v1/plugins`);
  checkStructure(raw);
  const result = v.safeParse(schema, raw);
  if (result.success) return result.output;
  const issues = result.issues.map((issue) => describe(issue, schemas, mode));
  const first = issues[0]!;
  const code = result.issues[0]!.type === 'strict_object' ? 'unknown_field' : 'invalid_field';
  return raiseIssues(code, first, issues);
}

function raiseIssues(code: string, first: FieldIssue, issues: readonly FieldIssue[]): never {
  const where = first.field ? `${first.field}: ` : '';
  throw new HttpError(400, code, `${where}${first.message}`, { field: first.field, issues });
}
