/**
 * Help rows for a config section, read from its valibot schema: the keys, their types,
 * limits and defaults come from the schema that validates them, so the help cannot drift
 * from what the config accepts.
 */
import * as v from 'valibot';
import { helpRow } from './usage.ts';

interface SchemaNode {
  readonly type: string;
  readonly wrapped?: SchemaNode;
  readonly pipe?: readonly PipeItem[];
}
interface PipeItem {
  readonly kind: string;
  readonly type: string;
  readonly requirement?: unknown;
  readonly description?: string;
  readonly pipe?: readonly PipeItem[];
}

/** The pipe's actions, nested pipes (`v.pipe(v.pipe(...), ...)`) flattened. */
function actions(node: SchemaNode | PipeItem): PipeItem[] {
  return (node.pipe ?? []).flatMap((item) => (item === node.pipe![0] && item.kind === 'schema' ? actions(item) : [item]));
}

function unwrap(node: SchemaNode): { base: SchemaNode; nullable: boolean } {
  let base = node;
  let nullable = false;
  while (base.wrapped && (base.type === 'optional' || base.type === 'nullable' || base.type === 'nullish')) {
    nullable ||= base.type !== 'optional';
    base = base.wrapped;
  }
  return { base, nullable };
}

const METAVARS: Record<string, string> = { number: 'N', string: 'TEXT', boolean: 'true|false' };

/** `integer >= 1`, `number <= 65535`, `string or null`, plus the schema's description if it has one. */
function describe(base: SchemaNode, nullable: boolean): string {
  const items = actions(base);
  const isInteger = items.some((item) => item.type === 'integer');
  const bounds = items.flatMap((item) => {
    if (item.type === 'min_value') return [`>= ${item.requirement}`];
    if (item.type === 'max_value') return [`<= ${item.requirement}`];
    return [];
  });
  const type = `${isInteger ? 'integer' : base.type}${bounds.length ? ` ${bounds.join(', ')}` : ''}${nullable ? ' or null' : ''}`;
  const description = items.find((item) => item.type === 'description')?.description;
  return description ? `${description} (${type})` : type;
}

function formatDefault(value: unknown): string {
  if (value === undefined) return '';
  return `; default ${value === null ? 'null' : typeof value === 'string' ? value : JSON.stringify(value)}`;
}

/**
 * One help row per key of an object schema, as `prefix.key=METAVAR  type; default`.
 *
 * @example
 * configKeyRows('server', ServerSchema); // ['  server.port=N   integer >= 0, <= 65535; default 8787', ...]
 */
export function configKeyRows(prefix: string, schema: v.ObjectSchema<v.ObjectEntries, undefined> | v.StrictObjectSchema<v.ObjectEntries, undefined>): string[] {
  return Object.entries(schema.entries).map(([key, entry]) => {
    const { base, nullable } = unwrap(entry as unknown as SchemaNode);
    const metavar = METAVARS[base.type] ?? base.type.toUpperCase();
    return helpRow(`${prefix}.${key}=${metavar}`, `${describe(base, nullable)}${formatDefault(v.getDefault(entry as v.GenericSchema))}`, 36);
  });
}
