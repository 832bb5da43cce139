/** Loading third-party plugin modules by path or package name, on runtimes with a file system. */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UserError, firstLine } from './errors.ts';
import type { Plugin, PluginModule } from './plugin.ts';
import type { Registry } from './registry.ts';

/**
 * Load third-party plugin modules (paths or package names) and register what they export in `registry`.
 * A package name is looked up from the working directory first, the user's project, and then
 * from the toolkit itself: an installed `ddim` (global, or an isolated node_modules layout)
 * must find the plugins of the project it runs in, not only its own dependencies.
 */
export async function loadPlugins(registry: Registry, specifiers: readonly string[]): Promise<Registry> {
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
      throw new UserError(`cannot load plugin "${specifier}": ${reason}${asPath}${typeScriptHint(error)}`, { path: 'plugins' });
    }
    const exported = mod.plugins ?? mod.default;
    const list = Array.isArray(exported) ? exported : exported ? [exported] : [];
    if (list.length === 0) throw new UserError(`plugin module "${specifier}" exports no plugin (expected a default export or a \`plugins\` array)`);
    registry.register(...(list as Plugin[]));
  }
  return registry;
}

/** Node (20: unknown extension; 22+: no type stripping under node_modules) and a plugin package that ships only TypeScript. */
function typeScriptHint(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (code !== 'ERR_UNKNOWN_FILE_EXTENSION' && code !== 'ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING') return '';
  return '; this runtime cannot load that TypeScript: run ddim with Bun (`bunx --bun ddim`), or use a plugin built to JavaScript';
}
