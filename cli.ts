#!/usr/bin/env bun
/**
 * The ddim command line: `bun run ddim <command> [flags] [key.path=value ...]`. This file
 * only dispatches; each command lives in cli/<command>.ts and is imported when asked for,
 * so that `ddim --help` does not load the model runtime or the HTTP stack. Runs under
 * Bun, Node (`node --import tsx cli.ts`) and Deno alike.
 */
import { parseArgs } from './cli/args.ts';
import type { Command } from './cli/command.ts';
import { shouldSupervise, superviseSelf } from './cli/supervise.ts';
import { generalUsage } from './cli/usage.ts';
import { AbortedError, PluginError, UserError, isUserError, oneLine } from './core/errors.ts';
import { didYouMean } from './core/suggest.ts';

const COMMANDS: Record<string, () => Promise<Command>> = {
  sample: async () => (await import('./cli/sample.ts')).sampleCommand,
  serve: async () => (await import('./cli/serve.ts')).serveCommand,
  eval: async () => (await import('./cli/eval.ts')).evalCommand,
  plugins: async () => (await import('./cli/plugins.ts')).pluginsCommand,
  verify: async () => (await import('./cli/verify.ts')).verifyCommand,
};
const NAMES = [...Object.keys(COMMANDS), 'help'];

function commandOf(word: string): () => Promise<Command> {
  const load = COMMANDS[word];
  if (!load) throw new UserError(`unknown command "${oneLine(word)}"; valid commands: ${NAMES.join(', ')}${didYouMean(word, NAMES)}`);
  return load;
}

/** The exit code. A bare `ddim` prints the usage: a default command would start a long run unasked. */
async function main(argv: readonly string[]): Promise<number> {
  const [first, second] = argv;
  const print = (text: string) => process.stdout.write(`${text}\n`);
  if (first === undefined || first === '-h' || first === '--help' || (first === 'help' && second === undefined)) {
    print(generalUsage());
    return 0;
  }
  if (first === 'help') {
    print((await commandOf(second!)()).usage());
    return 0;
  }
  // Flags with no command sample, as the reference's `python sample_ddim.py --flags` does.
  const flagsOnly = first.startsWith('-') || first.includes('=');
  const name = flagsOnly ? 'sample' : first;
  const command = await commandOf(name)();
  const args = parseArgs(argv.slice(flagsOnly ? 0 : 1), command.flags);
  if (args.help) {
    print(command.usage());
    return 0;
  }
  if (name === 'sample' && shouldSupervise()) return superviseSelf(argv);
  await command.run(args);
  return 0;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (isUserError(error)) {
    process.stderr.write(`error: ${oneLine(error.message)}\n`);
    process.exitCode = error.exitCode;
  } else if (error instanceof PluginError) {
    process.stderr.write(`error: ${oneLine(error.message)}\n`);
    process.exitCode = 1;
  } else if (error instanceof AbortedError) {
    process.stderr.write('\ninterrupted: finished images are kept; rerun the same command to continue\n');
    process.exitCode = 130;
  } else {
    throw error;
  }
}
