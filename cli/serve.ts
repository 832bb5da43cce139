/**
 * `ddim serve`: the HTTP service (server.ts) on the adapter of the runtime this process
 * runs under. SIGTERM/SIGINT stop accepting, let requests in flight finish within
 * server.shutdown_grace_ms, cancel the rest (they answer 503), and return (exit 0). A
 * second signal cancels at once.
 */
import { RUN_OPTIONS } from '../core/config/run-options.ts';
import { ServerSchema } from '../core/config/schema.ts';
import { type DdimConfig, type Override, type Pipeline, UserError, createPipeline } from '../index.ts';
import type { SamplingService } from '../server/sampling-service.ts';
import { type Listen, type ListeningServer, connectionLimits } from '../server/adapters/listening-server.ts';
import { type ParsedArgs, SAMPLING_FLAG_SYNONYMS } from './args.ts';
import type { Command } from './command.ts';
import { configKeyRows } from './config-help.ts';
import { resolveConfig } from './resolve-config.ts';
import { type RuntimeName, currentRuntime } from './runtime.ts';
import { helpRow } from './usage.ts';
import { warn } from './warnings.ts';
import { DDIM } from './command-name.ts';

const log = (line: string) => process.stderr.write(`${line}\n`);

function serveUsage(): string {
  return [
    `Usage: ${DDIM} serve [-c CONFIG] [--weights MODEL.onnx] [--port 8787] [--host 127.0.0.1] [key.path=value ...]`,
    '',
    'The HTTP sampling service: POST /v1/modes/{mode} (and /v1/sample, /v1/interpolate, ...); GET /v1/health,',
    '/v1/plugins, /openapi.json, and the playground page at / (server.playground; not with bearer auth). The model and',
    'config are fixed at start-up; a request field left out',
    "takes the config's value. SIGTERM or Ctrl-C stops accepting, lets requests in flight finish for",
    'server.shutdown_grace_ms, cancels the rest (503) and exits 0; a second signal cancels at once.',
    '',
    'Flags:',
    helpRow('-c, --config CONFIG', 'YAML config; its server: section sets the keys below'),
    helpRow('--weights MODEL.onnx', 'the ONNX model file'),
    helpRow('--port N', 'listening port (sets server.port; 0: any free port)'),
    helpRow('--host HOST', 'listening address (sets server.host)'),
    helpRow('--quiet', 'no request log'),
    helpRow('-h, --help', 'this text'),
    `The sampling flags of \`${DDIM} --help\` (--skip_steps, --plugin, ...) set what requests leave out.`,
    '',
    'Service keys (in the config\'s server: section, or as key.path=value):',
    ...configKeyRows('server', ServerSchema),
  ].join('\n');
}

/** Bun-only and Deno-only APIs stay in their adapters: only the one for this runtime is loaded. */
async function adapterFor(runtime: RuntimeName): Promise<Listen> {
  switch (runtime) {
    case 'bun':
      return (await import('../server/adapters/bun.ts')).listen;
    case 'deno':
      return (await import('../server/adapters/deno.ts')).listen;
    case 'node':
      return (await import('../server/adapters/node.ts')).listen;
  }
}

function listenFlags(args: ParsedArgs): Override[] {
  const flag = (name: string): string | undefined => args.values.get(name)?.at(-1);
  const port = flag('port');
  const host = flag('host');
  if (port !== undefined && !/^\d+$/.test(port)) throw new UserError(`--port: expected a port number in 0..65535, got "${port}"`);
  const flags: Override[] = [];
  if (port !== undefined) flags.push({ path: 'server.port', value: Number(port), origin: '--port' });
  if (host !== undefined) flags.push({ path: 'server.host', value: host, origin: '--host' });
  return flags;
}

function authTokenOf({ server }: DdimConfig): string | undefined {
  if (!server.auth_token_env) return undefined;
  const token = process.env[server.auth_token_env];
  if (!token) throw new UserError(`server.auth_token_env: the environment variable ${server.auth_token_env} is not set (or empty); set it to the bearer token`);
  return token;
}

/**
 * Resolves once a signal has drained the service, closed the socket and disposed of the pipeline.
 * The handlers stay installed to the end: a signal that arrives while the process winds down
 * (native threads, open handles) must not kill it with the signal's own exit code.
 */
function untilStopped(server: ListeningServer, service: SamplingService, pipeline: Pipeline): Promise<void> {
  const graceMs = pipeline.config.server.shutdown_grace_ms;
  return new Promise<void>((resolve) => {
    let state: 'serving' | 'stopping' | 'stopped' = 'serving';
    const onSignal = (signal: string) => {
      if (state === 'stopped') return;
      if (state === 'stopping') {
        log(`${signal} again: cancelling requests in flight now`);
        void service.close(0);
        return;
      }
      state = 'stopping';
      log(`${signal}: no longer accepting; waiting up to ${graceMs} ms for ${service.inFlight.requests} request(s) in flight`);
      void (async () => {
        const closing = server.stop(false);
        const { finished, cancelled } = await service.close(graceMs);
        log(`shut down: ${finished} request(s) finished, ${cancelled} cancelled`);
        // Let the cancelled requests' 503 answers go out, then close whatever is left.
        await Promise.race([closing, new Promise((wake) => setTimeout(wake, 1000))]);
        await server.stop(true);
        await pipeline.dispose();
        state = 'stopped';
        resolve();
      })();
    };
    process.on('SIGTERM', () => onSignal('SIGTERM'));
    process.on('SIGINT', () => onSignal('SIGINT'));
  });
}

async function runServe(args: ParsedArgs): Promise<void> {
  for (const note of args.notes) warn(note);
  const config = resolveConfig(args, listenFlags(args));
  const { host, port } = config.server;
  const authToken = authTokenOf(config);
  // Loaded here so that the other commands do not pay for the HTTP stack.
  const [{ SamplingService }, { createApp }, { createPlayground }] = await Promise.all([
    import('../server/sampling-service.ts'),
    import('../server/app.ts'),
    import('../web/playground.ts'),
  ]);
  const listen = await adapterFor(currentRuntime().name);
  const pipeline = await createPipeline(config, { onWarning: warn });
  const service = new SamplingService(pipeline);
  await service.warmUp();
  // A page cannot send a bearer token with its own loads: with auth on, no playground.
  const playground = authToken || !config.server.playground ? undefined : createPlayground(config, { onWarning: warn });
  const app = createApp({ service, authToken, log: args.quiet ? undefined : log, playground });
  let server: ListeningServer;
  try {
    server = await listen(app, { hostname: host, port, limits: connectionLimits(config.server) });
  } catch (error) {
    await pipeline.dispose();
    const reason = error instanceof Error ? error.message : String(error);
    throw new UserError(`cannot listen on ${host}:${port}: ${reason}`);
  }
  log(
    `ddim serve: listening on ${server.url} · model ${pipeline.model.info.path} · ` +
      `max_batch ${service.scheduler.maxBatch}${authToken ? ' · bearer auth' : ''}${playground ? ` · playground at ${server.url}/` : ''}`,
  );
  await untilStopped(server, service, pipeline);
}

export const serveCommand: Command = {
  flags: {
    command: 'serve',
    // A request chooses what one run makes; splitting work over machines is the CLI's business.
    runOptions: RUN_OPTIONS.map((option) => option.name).filter((name) => name !== 'shard' && name !== 'shards'),
    config: true,
    values: ['port', 'host'],
    synonyms: SAMPLING_FLAG_SYNONYMS,
  },
  usage: serveUsage,
  run: runServe,
};
