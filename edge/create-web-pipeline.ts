/**
 * A pipeline from bytes and URLs, for runtimes with no file system and no native addon
 * (Cloudflare Workers, Deno Deploy, browsers): the web model backend, the built-in plugins,
 * the portable host (PNG inputs, no config paths). Nothing on this path imports `node:`.
 */
import { configFromObject, configFromText } from '../core/config/validate-config.ts';
import type { DdimConfig } from '../core/config/schema.ts';
import { type WebModelOptions, loadWebModel, modelBytes } from '../core/model/onnx-web-model.ts';
import { Pipeline } from '../core/pipeline.ts';
import { withModelCard } from '../core/config/model-card-config.ts';
import { readModelCard, withoutModelCard } from '../core/model/model-card.ts';
import type { Registry } from '../core/registry.ts';
import { createDefaultRegistry } from '../plugins/index.ts';

export interface WebPipelineOptions {
  /** YAML text, a plain config object, or a validated config. */
  readonly config: string | Record<string, unknown> | DdimConfig;
  /** The ONNX network: its bytes, or a URL to fetch (sampler.weights is not read: there are no files). */
  readonly model: Uint8Array | URL | string;
  /** Modes and schedules; default: the built-ins. */
  readonly registry?: Registry;
  readonly onWarning?: (message: string) => void;
  /** Where onnxruntime-web's .wasm/.mjs files are (see WebModelOptions.wasmPaths). */
  readonly wasmPaths?: WebModelOptions['wasmPaths'];
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * @example
 * const pipeline = await createWebPipeline({
 *   config: await (await fetch(new URL('./ddpm_fashion_mnist.yaml', import.meta.url))).text(),
 *   model: new URL('./ddpm_fashion_mnist.onnx', import.meta.url),
 * });
 */
export async function createWebPipeline(options: WebPipelineOptions): Promise<Pipeline> {
  let config: DdimConfig =
    typeof options.config === 'string' ? configFromText(options.config, { onWarning: options.onWarning }) : configFromObject(options.config as Record<string, unknown>);
  const label = options.model instanceof Uint8Array ? (config.sampler.weights ?? 'model bytes') : String(options.model);
  const bytes = await modelBytes(options.model, label);
  const card = readModelCard(bytes, label);
  if (card) config = withModelCard(config, card, label);
  // onnxruntime-web's threaded loader imports its worker glue relative to a page origin: where
  // there is none (Deno, workers), it fails, so these runtimes run one thread unless told.
  const threads = config.sampler.intra_op_threads || ((globalThis as { location?: unknown }).location === undefined ? 1 : 0);
  const model = await loadWebModel(bytes, {
    label,
    providers: config.sampler.providers,
    intraOpThreads: threads,
    expect: { channels: config.data.img_channels, size: config.data.img_size },
    nullClass: config.model.null_class ?? undefined,
    onWarning: options.onWarning,
    wasmPaths: options.wasmPaths,
  });
  const networkSha256 = await sha256Hex(withoutModelCard(bytes));
  return new Pipeline({ config, registry: options.registry ?? createDefaultRegistry(), model, modelSha256: await sha256Hex(bytes), networkSha256, card, ownsModel: true });
}
