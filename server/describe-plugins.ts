import type { Registry } from '../core/registry.ts';
import { jsonSchemaOf } from './json-schema.ts';

export interface PluginDescription {
  readonly name: string;
  readonly description: string | undefined;
  /** JSON Schema of the plugin's options (null: it takes none). */
  readonly options: Record<string, unknown> | null;
}

/**
 * The registered modes, schedules and guidance rules with their options as JSON Schema: the answer of
 * GET /v1/plugins and of `ddim plugins`.
 */
export function describePlugins(registry: Registry): { modes: PluginDescription[]; schedules: PluginDescription[]; guidance: PluginDescription[] } {
  const describe = (kind: 'mode' | 'schedule' | 'guidance') =>
    registry.list(kind).map((plugin) => ({ name: plugin.name, description: plugin.description, options: jsonSchemaOf(plugin.options) }));
  return { modes: describe('mode'), schedules: describe('schedule'), guidance: describe('guidance') };
}
