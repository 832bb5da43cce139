import { toJsonSchema } from '@valibot/to-json-schema';
import type * as v from 'valibot';

/** A valibot schema as JSON Schema 2020-12 (OpenAPI 3.1's dialect), or null when there is none. */
export function jsonSchemaOf(schema: v.GenericSchema | undefined): Record<string, unknown> | null {
  if (!schema) return null;
  const { $schema: _dialect, ...rest } = toJsonSchema(schema, { target: 'draft-2020-12', errorMode: 'ignore' }) as Record<string, unknown>;
  return rest;
}
