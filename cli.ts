#!/usr/bin/env bun
/**
 * The ddim command line: `bun run ddim sample [flags] [key.path=value ...]`.
 * Parses flags, calls the shared pipeline, draws progress. Flags keep the reference
 * sample_ddim.py's names (kebab-case aliases work too).
 */
import { fileURLToPath } from 'node:url';
import { RUN_OPTIONS, findRunOption } from './core/config/run-options.ts';
import { type Override, parseOverride } from './core/config/overrides.ts';
import {
  AbortedError,
  type DdimConfig,
  type Progress,
  UserError,
  createPipeline,
  fileSink,
  isUserError,
  loadConfig,
} from './core/index.ts';

const DEFAULT_CONFIG = fileURLToPath(new URL('./models/ddpm_fashion_mnist.yaml', import.meta.url));

interface ParsedArgs {
  command: string;
  config: string | undefined;
  overrides: Override[];
  quiet: boolean;
  help: boolean;
  notes: string[];
  rest: Map<string, string[]>;
}

const COMMANDS = ['sample', 'help'];

/** Flags that belong to one command only, handled by that command. */
const COMMAND_FLAGS: Record<string, readonly string[]> = {};

function usage(): string {
  const rows = RUN_OPTIONS.map((o) => {
    const flag = `--${o.name}${o.kind === 'flag' ? '' : ` ${o.metavar}`}`;
    return `  ${flag.padEnd(30)} ${o.help}`;
  });
  return [
    'Usage: bun run ddim sample [-c CONFIG] [flags] [key.path=value ...]',
    '',
    'DDIM sampling (Song et al., 2021) from an ONNX diffusion model. Without -c, the shipped',
    'Fashion-MNIST model and its config are used.',
    '',
    'Flags (the reference sample_ddim.py names; kebab-case works too):',
    '  -c, --config CONFIG            YAML config (the original code base\'s files load as they are)',
    ...rows,
    '  --load_ema                     accepted for compatibility: an ONNX file holds one set of weights',
    '  --quiet                        no progress bar',
    '  -h, --help                     this text',
    '',
    'Any config key can be set as key.path=value after the flags, e.g. diffusion.params.skip_steps=50.',
    'Precedence: flags > key.path=value > config file > defaults.',
  ].join('\n');
}

function parseArgs(argv: readonly string[]): ParsedArgs {
  const parsed: ParsedArgs = { command: 'sample', config: undefined, overrides: [], quiet: false, help: false, notes: [], rest: new Map() };
  const flagOverrides: Override[] = [];
  const dotted: Override[] = [];
  const lists = new Map<string, { path: string; values: string[]; origin: string }>();
  let i = 0;
  if (argv[0] !== undefined && !argv[0].startsWith('-') && !argv[0].includes('=')) {
    if (!COMMANDS.includes(argv[0])) throw new UserError(`unknown command "${argv[0]}"; valid commands: ${COMMANDS.join(', ')}`);
    parsed.command = argv[0];
    i = 1;
  }
  const commandFlags = COMMAND_FLAGS[parsed.command] ?? [];
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-')) {
      if (!arg.includes('=')) throw new UserError(`unexpected argument "${arg}": expected --flag VALUE or key.path=value`);
      dotted.push(parseOverride(arg));
      continue;
    }
    const eq = arg.indexOf('=');
    const rawName = (eq === -1 ? arg : arg.slice(0, eq)).replace(/^--?/, '');
    const name = rawName.replaceAll('-', '_');
    const inline = eq === -1 ? undefined : arg.slice(eq + 1);
    const takeValue = (): string => {
      if (inline !== undefined) return inline;
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('--') && next.length > 2)) throw new UserError(`--${rawName}: expected a value`);
      i++;
      return next;
    };
    if (name === 'h' || name === 'help') parsed.help = true;
    else if (name === 'quiet' || name === 'q') parsed.quiet = true;
    else if (name === 'c' || name === 'config') parsed.config = takeValue();
    else if (name === 'load_ema') {
      // The reference takes `--load_ema true|false`; accept either form.
      if (inline === undefined && /^(true|false|0|1|yes|no)$/i.test(argv[i + 1] ?? '')) i++;
      parsed.notes.push('--load_ema: an ONNX file holds one set of weights; tools/export_onnx.py exports the EMA weights unless given --no-ema');
    } else if (commandFlags.includes(name)) {
      parsed.rest.set(name, [...(parsed.rest.get(name) ?? []), name === 'json' && inline === undefined ? 'true' : takeValue()]);
    } else {
      const option = findRunOption(name);
      if (!option) {
        const known = [...RUN_OPTIONS.map((o) => o.name), ...commandFlags, 'config', 'quiet', 'help', 'load_ema'];
        const hint = known.find((k) => k.startsWith(name) || name.startsWith(k));
        throw new UserError(`unknown flag --${rawName}${hint ? ` (did you mean --${hint}?)` : ''}; see --help`);
      }
      if (option.kind === 'flag') {
        flagOverrides.push({ path: option.path, value: inline === undefined ? true : parseOverride(`x=${inline}`).value, origin: `--${rawName}` });
      } else if (option.kind === 'list') {
        const entry = lists.get(option.path) ?? { path: option.path, values: [], origin: `--${rawName}` };
        entry.values.push(takeValue());
        lists.set(option.path, entry);
      } else {
        const value = takeValue();
        // Values are read as YAML, like the file: `50` is a number, `true` a boolean.
        flagOverrides.push({ path: option.path, value: parseOverride(`x=${value}`).value, origin: `--${rawName}` });
      }
    }
  }
  const listOverrides = [...lists.values()].map(({ path, values, origin }) => ({ path, value: values, origin }));
  parsed.overrides = [...dotted, ...flagOverrides, ...listOverrides];
  return parsed;
}

/** Plugins from --plugin add to the config's list instead of replacing it. */
function mergePluginFlags(args: ParsedArgs, warn: (m: string) => void): DdimConfig {
  const pluginFlag = args.overrides.find((o) => o.path === 'plugins' && o.origin.startsWith('--'));
  const others = args.overrides.filter((o) => o !== pluginFlag);
  const config = loadConfig(args.config ?? DEFAULT_CONFIG, { overrides: others, onWarning: warn });
  if (!pluginFlag) return config;
  return loadConfig(args.config ?? DEFAULT_CONFIG, {
    overrides: [...others, { ...pluginFlag, value: [...config.plugins, ...(pluginFlag.value as string[])] }],
  });
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}

/** A one-line progress bar on stderr, redrawn at most every 100 ms. */
function progressBar(microBatch: number): { update(p: Progress): void; done(): void } {
  let last = 0;
  let drawn = false;
  return {
    update(p) {
      const now = performance.now();
      if (now - last < 100 && p.step !== p.steps) return;
      last = now;
      const batchFraction = p.direction === 'invert' ? (0.5 * p.step) / p.steps : p.step / p.steps;
      const fraction = Math.min(1, (p.itemsDone + p.batch * batchFraction) / Math.max(1, p.items));
      const seconds = p.elapsedMs / 1000;
      const rate = (fraction * p.items) / seconds;
      const eta = fraction > 0 ? (seconds * (1 - fraction)) / fraction : Infinity;
      const width = 24;
      const filled = Math.round(fraction * width);
      const batchIndex = Math.floor(p.itemsDone / microBatch) + 1;
      const batches = Math.ceil(p.items / microBatch);
      const line =
        `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ` +
        `${p.direction} step ${p.step}/${p.steps} · batch ${batchIndex}/${batches} · ${rate.toFixed(1)} img/s · ETA ${formatDuration(eta)}`;
      process.stderr.write(`\r${line}\x1b[K`);
      drawn = true;
    },
    done() {
      if (drawn) process.stderr.write('\r\x1b[K');
    },
  };
}

async function runSample(args: ParsedArgs): Promise<void> {
  const warn = (message: string) => process.stderr.write(`warning: ${message}\n`);
  for (const note of args.notes) warn(note);
  const config = mergePluginFlags(args, warn);
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const pipeline = await createPipeline(config);
  try {
    const showProgress = !args.quiet && process.stderr.isTTY === true;
    const bar = showProgress ? progressBar(Math.min(config.sampler.micro_batch, config.sampler.n_samples)) : undefined;
    const sink = fileSink(config.sampler.save_dir, {
      saveNpy: config.sampler.save_npy,
      meta: { argv: process.argv.slice(2), runtime: `bun ${Bun.version}` },
    });
    const summary = await pipeline.run({ sink, signal: controller.signal, onProgress: bar?.update });
    bar?.done();
    if (!args.quiet) {
      const skipped = summary.items - summary.computed;
      process.stderr.write(
        `wrote ${summary.computed} ${config.sampler.mode} result(s) to ${config.sampler.save_dir}` +
          `${skipped > 0 ? ` (${skipped} already there)` : ''} in ${(summary.timings.totalMs / 1000).toFixed(1)} s` +
          ` (${summary.timings.itemsPerSecond.toFixed(1)}/s)\n`,
      );
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await pipeline.dispose();
  }
}

async function main(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv);
  if (args.help || args.command === 'help') {
    process.stdout.write(`${usage()}\n`);
    return 0;
  }
  switch (args.command) {
    case 'sample':
      await runSample(args);
      return 0;
  }
  return 0;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (isUserError(error)) {
    process.stderr.write(`error: ${error.message}\n`);
    process.exitCode = error.exitCode;
  } else if (error instanceof AbortedError) {
    process.stderr.write('\ninterrupted: finished images are kept; rerun the same command to continue\n');
    process.exitCode = 130;
  } else {
    throw error;
  }
}

export type { ParsedArgs };
