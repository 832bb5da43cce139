/** The HTTP service on a real loopback port, for the server tests. */
import { type DdimConfig, type DiffusionModel, type Override, createPipeline, loadConfig, parseOverride } from '../../index.ts';
import { SamplingService, createApp } from '../../server.ts';
import { DEFAULT_CONFIG } from './paths.ts';

export interface TestServer {
  readonly url: string;
  readonly service: SamplingService;
  readonly config: DdimConfig;
  post(path: string, body: unknown, headers?: Record<string, string>, signal?: AbortSignal): Promise<Response>;
  health(): Promise<Health>;
  stop(): Promise<void>;
}

export interface Health {
  status: string;
  in_flight: { requests: number; samples: number };
  requests: { completed: number; failed: number; rejected: number; cancelled: { client: number; timeout: number; shutdown: number } };
  scheduler: { max_batch: number; model_calls: number; rows: number; mixed_calls: number; shared_calls: number; largest_batch: number; queued_rows: number };
}

export interface StartOptions {
  /** Dotted overrides of the shipped config, e.g. `server.max_batch=3`. */
  readonly overrides?: readonly string[];
  readonly config?: string;
  /** Share an already loaded model (saves loading it per server). */
  readonly model?: DiffusionModel;
  readonly authToken?: string;
}

/** The shipped config and model behind Bun.serve on 127.0.0.1 and a free port. */
export async function startServer(options: StartOptions = {}): Promise<TestServer> {
  const overrides: Override[] = (options.overrides ?? []).map((text) => parseOverride(text));
  const config = loadConfig(options.config ?? DEFAULT_CONFIG, { overrides });
  const pipeline = await createPipeline(config, options.model ? { model: options.model } : {});
  const service = new SamplingService(pipeline);
  const app = createApp({ service, authToken: options.authToken });
  const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: app.fetch });
  const url = `http://127.0.0.1:${server.port}`;
  return {
    url,
    service,
    config,
    post(path, body, headers = {}, signal) {
      const json = typeof body !== 'string' && !(body instanceof Uint8Array) && !(body instanceof FormData) && !(body instanceof ReadableStream);
      return fetch(`${url}${path}`, {
        method: 'POST',
        headers: json ? { 'content-type': 'application/json', ...headers } : headers,
        body: json ? JSON.stringify(body) : (body as RequestInit['body']),
        signal,
      });
    },
    async health() {
      return (await (await fetch(`${url}/v1/health`)).json()) as Health;
    },
    async stop() {
      await server.stop(true);
      await pipeline.dispose();
    },
  };
}

/** PNG bytes of a JSON result's images, in item order. */
export function resultPngs(result: { images: { index: number; png: string }[] }): Buffer[] {
  return result.images.map((image) => Buffer.from(image.png, 'base64'));
}

/** Poll until `check` holds (each test's own timeout bounds the wait). */
export async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean, pauseMs = 20): Promise<T> {
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    await Bun.sleep(pauseMs);
  }
}

/** Server-sent events of a response, as they arrive. */
export async function* sseEvents(response: Response): AsyncGenerator<{ event: string; data: unknown }> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    buffer += value;
    for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      yield { event, data: JSON.parse(data.join('\n')) };
    }
  }
}

/** Read events until one named `name` (without closing the stream, as `break` in for-await would). */
export async function nextEvent(events: AsyncGenerator<{ event: string; data: unknown }>, name: string): Promise<{ event: string; data: unknown }> {
  for (;;) {
    const { done, value } = await events.next();
    if (done) throw new Error(`the stream ended before a "${name}" event`);
    if (value.event === name) return value;
  }
}
