/**
 * `ddim plugins`: the modes, schedules and guidance rules a run could use (the built-ins plus the config's
 * `plugins:` and every --plugin), as the JSON the server answers at GET /v1/plugins.
 * Loads no model, so it also checks that a plugin module loads before a long run.
 * `ddim plugins new NAME [DIR]` writes a plugin package to start from (./plugin-scaffold.ts).
 */
import { createDefaultRegistry, loadPlugins } from '../index.ts';
import { describePlugins } from '../server/describe-plugins.ts';
import { UserError } from '../core/errors.ts';
import type { ParsedArgs } from './args.ts';
import type { Command } from './command.ts';
import { scaffoldPlugin } from './plugin-scaffold.ts';
import { resolveConfig } from './resolve-config.ts';
import { helpRow } from './usage.ts';
import { DDIM } from './command-name.ts';

function pluginsUsage(): string {
  return [
    `Usage: ${DDIM} plugins [-c CONFIG] [--plugin MODULE ...] [key.path=value ...]`,
    `       ${DDIM} plugins new NAME [DIR]`,
    '',
    'Prints the registered modes, schedules and guidance rules as JSON, each with its description and its options',
    '(sampler.options.<name>) as JSON Schema: {"modes": [{"name", "description", "options"}], "schedules": [...], "guidance": [...]}.',
    "The built-ins are always there; plugin modules come from the config's plugins: list and --plugin.",
    '',
    '`plugins new NAME [DIR]` writes a plugin package to start from into DIR (default: ./NAME without any @scope; it must',
    'be new or empty): package.json (ddim-toolkit as a peer), tsconfig.json, a mode, a schedule, their',
    'tests on the shipped model and a README. Then: cd DIR && bun add --dev ddim-toolkit && bun test.',
    '',
    'Flags:',
    helpRow('-c, --config CONFIG', "YAML config whose plugins: are loaded (default: the shipped model's)"),
    helpRow('--plugin MODULE', 'load a plugin module (path or package); repeatable'),
    helpRow('-h, --help', 'this text'),
  ].join('\n');
}

function runNew(args: ParsedArgs, words: readonly string[]): void {
  const [name, dir, ...extra] = words;
  // A config, --plugin or key=value would do nothing here: refused rather than ignored.
  const ignored = args.config !== undefined || args.overrides.length > 0;
  if (name === undefined || extra.length > 0 || ignored) throw new UserError(`usage: ${DDIM} plugins new NAME [DIR] (an npm package name, and the folder to write it to; no other flags)`);
  const written = scaffoldPlugin(name, dir);
  process.stdout.write(`wrote plugin package ${name} to ${written}\nnext: cd ${written} && bun add --dev ddim-toolkit && bun test\n`);
}

async function runPlugins(args: ParsedArgs): Promise<void> {
  const [subcommand, ...rest] = args.positionals;
  if (subcommand === 'new') return runNew(args, rest);
  if (subcommand !== undefined) throw new UserError(`unexpected argument "${subcommand}": ${DDIM} plugins takes flags, or \`new NAME [DIR]\``);
  const config = resolveConfig(args);
  const registry = await loadPlugins(createDefaultRegistry(), config.plugins);
  process.stdout.write(`${JSON.stringify(describePlugins(registry), null, 2)}\n`);
}

export const pluginsCommand: Command = {
  flags: { command: 'plugins', runOptions: ['plugin'], config: true, positionals: true },
  usage: pluginsUsage,
  run: runPlugins,
};
