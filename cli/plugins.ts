/**
 * `ddim plugins`: the modes and schedules a run could use (the built-ins plus the config's
 * `plugins:` and every --plugin), as the JSON the server answers at GET /v1/plugins.
 * Loads no model, so it also checks that a plugin module loads before a long run.
 */
import { createDefaultRegistry, loadPlugins } from '../index.ts';
import { describePlugins } from '../server/describe-plugins.ts';
import type { ParsedArgs } from './args.ts';
import type { Command } from './command.ts';
import { resolveConfig } from './resolve-config.ts';
import { helpRow } from './usage.ts';

function pluginsUsage(): string {
  return [
    'Usage: bun run ddim plugins [-c CONFIG] [--plugin MODULE ...] [key.path=value ...]',
    '',
    'Prints the registered modes and schedules as JSON, each with its description and its options',
    '(sampler.options.<name>) as JSON Schema: {"modes": [{"name", "description", "options"}], "schedules": [...]}.',
    "The built-ins are always there; plugin modules come from the config's plugins: list and --plugin.",
    '',
    'Flags:',
    helpRow('-c, --config CONFIG', "YAML config whose plugins: are loaded (default: the shipped model's)"),
    helpRow('--plugin MODULE', 'load a plugin module (path or package); repeatable'),
    helpRow('-h, --help', 'this text'),
  ].join('\n');
}

async function runPlugins(args: ParsedArgs): Promise<void> {
  const config = resolveConfig(args);
  const registry = await loadPlugins(createDefaultRegistry(), config.plugins);
  process.stdout.write(`${JSON.stringify(describePlugins(registry), null, 2)}\n`);
}

export const pluginsCommand: Command = {
  flags: { command: 'plugins', runOptions: ['plugin'], config: true },
  usage: pluginsUsage,
  run: runPlugins,
};
