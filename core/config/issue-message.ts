/** Valibot issues worded for users: the config loader's and plugin options' messages. */
import type * as v from 'valibot';
import { MAX_QUOTED, oneLine } from '../errors.ts';
import { didYouMean } from '../suggest.ts';

export { oneLine, quoteText } from '../errors.ts';

/** valibot's `received`, worded for a message and cut short when long. */
export function describeReceived(raw: string): string {
  if (raw === 'undefined') return 'nothing';
  const received = oneLine(raw);
  if (received.length <= MAX_QUOTED) return received;
  const quoted = received.startsWith('"');
  return `${received.slice(0, MAX_QUOTED)}…${quoted ? '"' : ''} (${raw.length - (quoted ? 2 : 0)} characters)`;
}

/** Valid keys of the strict object at `path` inside a schema, for suggestions. */
function keysAt(schema: unknown, path: readonly string[]): string[] {
  let node: any = schema;
  for (const key of path) {
    while (node?.wrapped || node?.pipe) node = node.wrapped ?? node.pipe[0];
    node = node?.entries && Object.hasOwn(node.entries, key) ? node.entries[key] : undefined;
  }
  while (node?.wrapped || node?.pipe) node = node.wrapped ?? node.pipe[0];
  return node?.entries ? Object.keys(node.entries) : [];
}

/**
 * One valibot issue as the toolkit words it: what was expected and what was found, with the
 * nearest valid key or name. `keys` is the issue's path; `schema` the one it was checked against.
 */
export function issueMessage(issue: v.BaseIssue<unknown>, keys: readonly string[], schema: unknown): string {
  const received = describeReceived(issue.received);
  if (issue.type === 'strict_object' && issue.expected === 'never') {
    const parentKeys = keysAt(schema, keys.slice(0, -1));
    const name = keys.at(-1) ?? '';
    return `unknown key; valid keys: ${parentKeys.join(', ')}${didYouMean(name, parentKeys)}`;
  }
  if (issue.received === 'undefined' && issue.kind === 'schema') return 'missing required key';
  if (issue.type === 'picklist') {
    const options = (issue.expected ?? '').replace(/^\(|\)$/g, '').split(' | ').map((s) => s.replace(/^"|"$/g, ''));
    const got = typeof issue.input === 'string' ? didYouMean(issue.input, options) : '';
    return `expected one of ${options.join('|')}, got ${received}${got}`;
  }
  // A schema's own message says what is valid; valibot's default ("Invalid …: Expected …") is reworded.
  if (issue.kind === 'validation' && !issue.message.startsWith('Invalid ')) return `${issue.message}, got ${received}`;
  return `expected ${issue.expected}, got ${received}`;
}
