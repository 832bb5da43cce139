/**
 * The plugin registry: the built-in modes, schedules and guidance rules are registered through it
 * exactly as third-party ones are. Loading plugins by path or package name needs a file
 * system, and lives in ./load-plugins.ts.
 */
import * as v from 'valibot';
import { UserError } from './errors.ts';
import type { ModePlugin, Plugin, SchedulePlugin } from './plugin.ts';
import type { GuidancePlugin } from './guidance-rule.ts';
import { didYouMean } from './suggest.ts';
import { describeReceived, issueMessage } from './config/issue-message.ts';

type KindMap = { mode: ModePlugin; schedule: SchedulePlugin; guidance: GuidancePlugin };
const KINDS: readonly string[] = ['mode', 'schedule', 'guidance'];

export class Registry {
  readonly #plugins = { mode: new Map<string, ModePlugin>(), schedule: new Map<string, SchedulePlugin>(), guidance: new Map<string, GuidancePlugin>() };

  /** Add plugins. The same object twice is a no-op; another plugin under a taken name throws. */
  register(...plugins: Plugin[]): this {
    for (const plugin of plugins) {
      if (plugin === null || typeof plugin !== 'object' || !KINDS.includes(plugin.kind) || typeof plugin.name !== 'string') {
        throw new UserError(`not a plugin: expected an object with kind "mode", "schedule" or "guidance" and a name, got ${JSON.stringify(plugin)?.slice(0, 80)}`);
      }
      const table = this.#plugins[plugin.kind] as Map<string, Plugin>;
      const existing = table.get(plugin.name);
      if (existing === plugin) continue;
      if (existing) throw new UserError(`a ${plugin.kind} named "${plugin.name}" is already registered`);
      table.set(plugin.name, plugin);
    }
    return this;
  }

  names<K extends keyof KindMap>(kind: K): string[] {
    return [...this.#plugins[kind].keys()];
  }

  list<K extends keyof KindMap>(kind: K): KindMap[K][] {
    return [...this.#plugins[kind].values()] as KindMap[K][];
  }

  /** The plugin called `name`; unknown names fail with the list of valid ones. */
  get<K extends keyof KindMap>(kind: K, name: string, path?: string): KindMap[K] {
    const plugin = this.#plugins[kind].get(name);
    if (plugin) return plugin as KindMap[K];
    const valid = this.names(kind);
    const where = path ? `${path}: ` : '';
    throw new UserError(`${where}unknown ${kind} ${describeReceived(JSON.stringify(name))}. Must be one of [${valid.join(', ')}]${didYouMean(name, valid)}`, { path });
  }
}

/** Validate a plugin's own options against its schema (absent options: its defaults). */
export function pluginOptions<O>(plugin: { name: string; options?: v.GenericSchema<unknown, O> }, raw: unknown, path: string): O {
  if (!plugin.options) {
    const empty = raw === undefined || raw === null || (typeof raw === 'object' && !Array.isArray(raw) && Object.keys(raw).length === 0);
    if (!empty) throw new UserError(`${path}: plugin "${plugin.name}" takes no options, got ${describeReceived(JSON.stringify(raw))}`, { path });
    return raw as O;
  }
  const result = v.safeParse(plugin.options, raw ?? {});
  if (result.success) return result.output;
  const issue = result.issues[0];
  const keys = (issue.path ?? []).map((item) => String(item.key));
  const key = keys.join('.');
  const at = key ? `${path}.${key}` : path;
  throw new UserError(`${at}: ${issueMessage(issue, keys, plugin.options)}`, { path: at });
}
