/**
 * The plugin registry: the built-in modes and schedules are registered through it
 * exactly as third-party ones are.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as v from 'valibot';
import { firstLine, UserError } from './errors.ts';
import type { ModePlugin, Plugin, PluginModule, SchedulePlugin } from './plugin.ts';
import { didYouMean } from './suggest.ts';
import { describeReceived, issueMessage } from './config/issue-message.ts';

type KindMap = { mode: ModePlugin; schedule: SchedulePlugin };

export class Registry {
  readonly #plugins = { mode: new Map<string, ModePlugin>(), schedule: new Map<string, SchedulePlugin>() };

  /** Add plugins. The same object twice is a no-op; another plugin under a taken name throws. */
  register(...plugins: Plugin[]): this {
    for (const plugin of plugins) {
      if (plugin === null || typeof plugin !== 'object' || (plugin.kind !== 'mode' && plugin.kind !== 'schedule') || typeof plugin.name !== 'string') {
        throw new UserError(`not a plugin: expected an object with kind "mode" or "schedule" and a name, got ${JSON.stringify(plugin)?.slice(0, 80)}`);
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

  /**
   * Load third-party plugin modules (paths or package names) and register what they export.
   * A package name is looked up from the working directory first, the user's project, and then
   * from the toolkit itself: an installed `ddim` (global, or an isolated node_modules layout)
   * must find the plugins of the project it runs in, not only its own dependencies.
   */
  async load(specifiers: readonly string[]): Promise<this> {
    const target = (specifier: string): string => {
      if (isAbsolute(specifier)) return pathToFileURL(specifier).href;
      if (specifier.startsWith('.') || /^[a-z][\w+.-]*:/i.test(specifier)) return specifier; // node:, file:, npm:, jsr:
      try {
        const file = createRequire(join(process.cwd(), 'noop.js')).resolve(specifier);
        return isAbsolute(file) ? pathToFileURL(file).href : specifier;
      } catch {
        return specifier; // not in the project: the toolkit's own resolution, and its error message
      }
    };
    for (const specifier of specifiers) {
      let mod: PluginModule;
      try {
        mod = await import(target(specifier));
      } catch (error) {
        // A bare name is a package, as in Node; a relative path must start with ./ or ../
        const asPath = /^[\w@-]/.test(specifier) && existsSync(specifier) ? ` (a file path must start with ./ : did you mean "./${specifier}"?)` : '';
        const reason = firstLine(error);
        throw new UserError(`cannot load plugin "${specifier}": ${reason}${asPath}`, { path: 'plugins' });
      }
      const exported = mod.plugins ?? mod.default;
      const list = Array.isArray(exported) ? exported : exported ? [exported] : [];
      if (list.length === 0) throw new UserError(`plugin module "${specifier}" exports no plugin (expected a default export or a \`plugins\` array)`);
      this.register(...(list as Plugin[]));
    }
    return this;
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
  throw new UserError(`${path}${key ? `.${key}` : ''}: ${issueMessage(issue, keys, plugin.options)}`, { path });
}
