#!/usr/bin/env bun
/**
 * The ddim command line: `bun run ddim sample [flags] [key.path=value ...]`.
 * Parses flags, calls the shared pipeline, draws progress. Flags keep the reference
 * sample_ddim.py's names (kebab-case aliases work too).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RUN_OPTIONS, findRunOption } from './core/config/run-options.ts';
import { nearest } from './core/suggest.ts';
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
} from './index.ts';
import { type EvalProgress, evaluate, formatEvalReport } from './core/eval/index.ts';

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

const COMMANDS = ['sample', 'eval', 'serve', 'help'];

/** Names users reach for that mean one of a command's flags (an edit distance would not find these). */
const FLAG_SYNONYMS = new Map<string, string>([
  ['eta', 'ddim_eta'],
  ['steps', 'skip_steps'],
  ['n', 'n_samples'],
  ['num_samples', 'n_samples'],
  ['batch_size', 'micro_batch'],
  ['out', 'save_dir'],
  ['output', 'save_dir'],
  ['output_dir', 'save_dir'],
  ['model', 'weights'],
]);
const EVAL_FLAG_SYNONYMS = new Map<string, string>([
  ['model', 'features'],
  ['stats', 'reference'],
  ['ref', 'reference'],
  ['dir', 'samples'],
  ['input_dir', 'samples'],
  ['save_dir', 'samples'],
]);

/** Flags that belong to one command only, handled by that command. */
const COMMAND_FLAGS: Record<string, readonly string[]> = {
  serve: ['port', 'host'],
  eval: [
    'samples', 'reference', 'reference_labels', 'reference_pad', 'save_stats', 'features', 'features_output',
    'logits_output', 'input_range', 'image_size', 'splits', 'batch_size', 'json',
  ],
};

function usage(): string {
  const rows = RUN_OPTIONS.map((o) => {
    const flag = `--${o.name}${o.kind === 'flag' ? '' : ` ${o.metavar}`}`;
    return `  ${flag.padEnd(30)} ${o.help}`;
  });
  return [
    'Usage: bun run ddim sample [-c CONFIG] [flags] [key.path=value ...]',
    '       bun run ddim serve [-c CONFIG] [--weights MODEL.onnx] [--port 8787] [--host 127.0.0.1] [key.path=value ...]',
    '       bun run ddim eval [--samples DIR] [--reference DIR|STATS.json|STATS.npz|IDX.gz] [--features MODEL.onnx] [flags]',
    '       bun run ddim help eval             (the eval flags)',
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
    // `ddim help eval` is `ddim eval --help`.
    if (parsed.command === 'help' && argv[1] !== undefined && COMMANDS.includes(argv[1])) {
      parsed.command = argv[1];
      parsed.help = true;
      i = 2;
    }
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
      if (inline === '') throw new UserError(`--${rawName}: expected a value after "=", got nothing`);
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
      // --json is a switch; `--json true|false` (a separate word) works too.
      const switchValue = () => (/^(true|false)$/.test(argv[i + 1] ?? '') ? argv[++i]! : 'true');
      parsed.rest.set(name, [...(parsed.rest.get(name) ?? []), name === 'json' && inline === undefined ? switchValue() : takeValue()]);
    } else {
      const option = findRunOption(name);
      if (!option) {
        // Hints come from the command's own flags: eval takes none of the sampling ones.
        const known = parsed.command === 'eval' ? [...commandFlags, 'quiet', 'help'] : [...RUN_OPTIONS.map((o) => o.name), ...commandFlags, 'config', 'quiet', 'help', 'load_ema'];
        const synonym = (parsed.command === 'eval' ? EVAL_FLAG_SYNONYMS : FLAG_SYNONYMS).get(name);
        const hint = synonym ?? known.find((k) => name.length > 1 && (k.startsWith(name) || name.startsWith(k))) ?? nearest(name, known);
        const help = parsed.command === 'sample' ? '--help' : `ddim ${parsed.command} --help`;
        throw new UserError(`unknown flag ${eq === -1 ? arg : arg.slice(0, eq)}${hint ? ` (did you mean --${hint}?)` : ''}; see ${help}`);
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
  // `--plugin` adds to the config's plugins; `--provider` replaces the config's list.
  const listOverrides = [...lists.values()].map(({ path, values, origin }) => ({ path, value: values, origin, append: path === 'plugins' }));
  parsed.overrides = [...dotted, ...flagOverrides, ...listOverrides];
  return parsed;
}

/** The config the command line asks for: the file (or the shipped default) plus flags and overrides. */
function resolveConfig(args: ParsedArgs, warn: (m: string) => void): DdimConfig {
  return loadConfig(args.config ?? DEFAULT_CONFIG, { overrides: args.overrides, onWarning: warn });
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
  const config = resolveConfig(args, warn);
  const pipeline = await createPipeline(config, { onWarning: warn });
  // From here on, Ctrl-C stops after the current step and keeps the finished images.
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const showProgress = !args.quiet && process.stderr.isTTY === true;
    const bar = showProgress ? progressBar(Math.min(config.sampler.micro_batch, config.sampler.n_samples)) : undefined;
    const sink = fileSink(config.sampler.save_dir, {
      saveNpy: config.sampler.save_npy,
      meta: { argv: process.argv.slice(2), runtime: `bun ${Bun.version}` },
      onWarning: warn,
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

const DEFAULT_FEATURES = fileURLToPath(new URL('./models/fashion_mnist_classifier.onnx', import.meta.url));
const DEFAULT_REFERENCE = fileURLToPath(new URL('./models/fashion_mnist_test_stats.json', import.meta.url));

function evalUsage(): string {
  return [
    'Usage: bun run ddim eval [--samples DIR] [--reference DIR|STATS.json|STATS.npz|IDX.gz] [--features MODEL.onnx] [flags]',
    '',
    'Fréchet distance between the feature statistics of a folder of samples and a reference set (FID\'s',
    'formula), and the Inception-Score-style score exp(E[KL(p(y|x) || p(y))]) of the samples, from one ONNX',
    'feature/classifier model. Without --features, the shipped Fashion-MNIST classifier is used and the',
    'Fashion-MNIST test set statistics shipped with it are the default reference.',
    '',
    'Flags (kebab-case works too):',
    '  --samples DIR                  folder of sample images, searched recursively (default: samples)',
    '  --reference PATH               a folder of images, an idx images file (.gz), or stats (.json; .npz with mu, sigma)',
    '  --reference_labels IDX.gz      idx labels for an idx reference: reports the classifier\'s accuracy',
    '  --reference_pad N              black border added around idx images (default 2: 28x28 -> 32x32)',
    '  --save_stats FILE.json         write the reference\'s feature statistics (then --samples is optional)',
    '  --features MODEL.onnx          feature/classifier model (default: models/fashion_mnist_classifier.onnx)',
    '  --features_output NAME         output used for the distance (default: "features", or the only output)',
    '  --logits_output NAME           output read as class logits for the score (default: "logits")',
    '  --input_range LOW,HIGH         value range of a float input (default -1,1; uint8 inputs get 0..255)',
    '  --image_size N                 input side for models whose H and W are not fixed in the file',
    '  --splits N                     splits for the score\'s mean ± std (default 10)',
    '  --batch_size N                 images per model call (default: up to 250, fewer for large inputs)',
    '  --json                         print the report as JSON',
    '  --quiet                        no progress',
    '',
    'Images are resized (short side, center crop) and converted to the model\'s input channels.',
  ].join('\n');
}

async function runEval(args: ParsedArgs): Promise<void> {
  const stray = args.overrides[0];
  if (stray) throw new UserError(`${stray.origin} is not an eval flag; see bun run ddim eval --help`);
  if (args.config !== undefined) throw new UserError('--config is not an eval flag; see bun run ddim eval --help');
  const one = (name: string): string | undefined => {
    const values = args.rest.get(name);
    if (values && values.length > 1) throw new UserError(`--${name} given ${values.length} times`);
    return values?.[0];
  };
  const integer = (name: string): number | undefined => {
    const value = one(name);
    if (value === undefined) return undefined;
    if (!/^\d+$/.test(value)) throw new UserError(`--${name}: expected a whole number, got "${value}"`);
    return Number(value);
  };
  const rangeText = one('input_range');
  let inputRange: [number, number] | undefined;
  if (rangeText !== undefined) {
    const parts = rangeText.split(',').map((p) => Number(p.trim()));
    if (parts.length !== 2 || !parts.every(Number.isFinite) || parts[0]! >= parts[1]!) {
      throw new UserError(`--input_range: expected LOW,HIGH with LOW < HIGH (e.g. 0,1 or -1,1), got "${rangeText}"`);
    }
    inputRange = [parts[0]!, parts[1]!];
  }
  const json = one('json');
  if (json !== undefined && !/^(true|false)$/.test(json)) throw new UserError(`--json takes no value (or true/false), got "${json}"`);
  const saveStats = one('save_stats');
  let samples = one('samples');
  if (samples === undefined && saveStats === undefined) {
    samples = 'samples';
    if (!existsSync(samples)) throw new UserError('samples folder not found: samples (run `bun run ddim sample` first, or give --samples DIR)');
  }
  const warn = (message: string) => process.stderr.write(`warning: ${message}\n`);
  const showProgress = !args.quiet && process.stderr.isTTY === true;
  let last = 0;
  const onProgress = (p: EvalProgress) => {
    const now = performance.now();
    if (now - last < 100 && p.done !== p.total) return;
    last = now;
    const rate = p.done / (p.elapsedMs / 1000);
    process.stderr.write(`\r${p.phase}: ${p.done}/${p.total} images · ${rate.toFixed(0)} img/s\x1b[K`);
  };
  const report = await evaluate({
    samples,
    reference: one('reference'),
    referenceLabels: one('reference_labels'),
    referencePad: integer('reference_pad'),
    saveStats,
    features: one('features') ?? DEFAULT_FEATURES,
    defaultReference: DEFAULT_REFERENCE,
    featuresOutput: one('features_output'),
    logitsOutput: one('logits_output'),
    inputRange,
    imageSize: integer('image_size'),
    splits: integer('splits'),
    batchSize: integer('batch_size'),
    createdBy: `bun run ddim eval ${process.argv.slice(3).join(' ')}`,
    onProgress: showProgress ? onProgress : undefined,
    onWarning: warn,
  });
  if (showProgress) process.stderr.write('\r\x1b[K');
  if (json === 'true') process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else process.stdout.write(`${formatEvalReport(report)}\n`);
  if (!args.quiet) {
    const { images, totalMs, imagesPerSecond } = report.timings;
    process.stderr.write(`evaluated ${images} image(s) in ${(totalMs / 1000).toFixed(1)} s (${imagesPerSecond.toFixed(0)}/s)\n`);
  }
}

/**
 * `ddim serve`: the HTTP service (server.ts) under Bun.serve. SIGTERM/SIGINT stop
 * accepting, let requests in flight finish within server.shutdown_grace_ms, cancel the
 * rest (they answer 503), and return (exit 0). A second signal cancels at once.
 */
async function runServe(args: ParsedArgs): Promise<void> {
  const warn = (message: string) => process.stderr.write(`warning: ${message}\n`);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  for (const note of args.notes) warn(note);
  const flag = (name: string): string | undefined => args.rest.get(name)?.at(-1);
  const port = flag('port');
  const host = flag('host');
  if (port !== undefined && !/^\d+$/.test(port)) throw new UserError(`--port: expected a port number in 0..65535, got "${port}"`);
  const flags: Override[] = [];
  if (port !== undefined) flags.push({ path: 'server.port', value: Number(port), origin: '--port' });
  if (host !== undefined) flags.push({ path: 'server.host', value: host, origin: '--host' });
  const config = resolveConfig({ ...args, overrides: [...args.overrides, ...flags] }, warn);
  const { server: options } = config;
  let authToken: string | undefined;
  if (options.auth_token_env) {
    authToken = process.env[options.auth_token_env];
    if (!authToken) throw new UserError(`server.auth_token_env: the environment variable ${options.auth_token_env} is not set (or empty); set it to the bearer token`);
  }
  // Loaded here so that the other commands do not pay for the HTTP stack.
  const { SamplingService, createApp } = await import('./server.ts');
  const pipeline = await createPipeline(config, { onWarning: warn });
  const service = new SamplingService(pipeline);
  const app = createApp({ service, authToken, log: args.quiet ? undefined : log });
  let server: ReturnType<typeof Bun.serve>;
  try {
    server = Bun.serve({
      hostname: options.host,
      port: options.port,
      // Bodies past server.max_body_bytes get our 413 JSON: the app checks Content-Length first and
      // stops reading at the limit, so Bun's own cap (a bare 413) must never come first.
      maxRequestBodySize: Number.MAX_SAFE_INTEGER,
      fetch(request, bunServer) {
        // A sampling request may stay silent for minutes: server.request_timeout_ms bounds it, not Bun's idle timer.
        if (request.method === 'POST') bunServer.timeout(request, 0);
        return app.fetch(request);
      },
    });
  } catch (error) {
    await pipeline.dispose();
    const reason = error instanceof Error ? error.message : String(error);
    throw new UserError(`cannot listen on ${options.host}:${options.port}: ${reason}`);
  }
  log(
    `ddim serve: listening on http://${server.hostname}:${server.port} · model ${pipeline.model.info.path} · ` +
      `max_batch ${service.scheduler.maxBatch}${authToken ? ' · bearer auth' : ''}`,
  );
  await new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (signal: string) => {
      if (stopping) {
        log(`${signal} again: cancelling requests in flight now`);
        void service.close(0);
        return;
      }
      stopping = true;
      log(`${signal}: no longer accepting; waiting up to ${options.shutdown_grace_ms} ms for ${service.inFlight.requests} request(s) in flight`);
      void (async () => {
        const closing = server.stop(false);
        const { finished, cancelled } = await service.close(options.shutdown_grace_ms);
        log(`shut down: ${finished} request(s) finished, ${cancelled} cancelled`);
        // Let the cancelled requests' 503 answers go out, then close whatever is left.
        await Promise.race([closing, new Promise((wake) => setTimeout(wake, 1000))]);
        await server.stop(true);
        await pipeline.dispose();
        process.off('SIGTERM', onTerm);
        process.off('SIGINT', onInt);
        resolve();
      })();
    };
    const onTerm = () => onSignal('SIGTERM');
    const onInt = () => onSignal('SIGINT');
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
  });
}

async function main(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv);
  if (args.help || args.command === 'help') {
    process.stdout.write(`${args.command === 'eval' ? evalUsage() : usage()}\n`);
    return 0;
  }
  switch (args.command) {
    case 'sample':
      await runSample(args);
      return 0;
    case 'eval':
      await runEval(args);
      return 0;
    case 'serve':
      await runServe(args);
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

