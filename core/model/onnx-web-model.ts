/**
 * The second model backend: onnxruntime-web behind the same DiffusionModel. WebGPU where it is
 * asked for and a hardware GPU adapter answers (browsers; Deno on a machine with a GPU), else
 * WebAssembly with SIMD, and threads where the runtime allows them. It takes the model as bytes
 * or a URL and touches no `node:` module, so the same code runs in Bun, Deno, Node, workers and
 * browsers.
 */
import { UserError, oneLine } from '../errors.ts';
import type { DiffusionModel, ExecutionProvider, ModelOptions } from './model.ts';
import type { TensorData, TensorType } from './onnx-common.ts';
import { diffusionModelOf } from './onnx-diffusion-model.ts';

type Ort = typeof import('onnxruntime-web');

export interface WebModelOptions extends Pick<ModelOptions, 'expect' | 'intraOpThreads' | 'onWarning' | 'providers' | 'nullClass'> {
  /** How the model is named in messages and run records (a path or URL). */
  readonly label?: string;
  /**
   * Where onnxruntime-web's .mjs/.wasm files are served from (a folder URL ending in /), where
   * they are not beside its module: bundles, workers. Each build loads its own pair from there.
   * Or onnxruntime-web's `{ mjs, wasm }` form naming each file: on Cloudflare Workers `mjs` is a
   * module that hands the loader a precompiled WebAssembly.Module (edge/workers-ort-loader.mjs),
   * since Workers may not compile WebAssembly from bytes.
   */
  readonly wasmPaths?: string | URL | { readonly mjs?: string | URL; readonly wasm?: string | URL };
}

/** The part of WebGPU's navigator.gpu read here (no DOM types needed). */
interface GpuLike {
  requestAdapter(options?: { powerPreference?: 'high-performance' | 'low-power' }): Promise<GpuAdapterLike | null>;
}
interface GpuAdapterLike {
  readonly info?: { readonly isFallbackAdapter?: boolean; readonly description?: string };
  /** Before GPUAdapterInfo had it. */
  readonly isFallbackAdapter?: boolean;
}

/** WASM threads need SharedArrayBuffer (cross-origin isolation in browsers); one thread otherwise. */
function wasmThreads(requested: number | undefined): number {
  if (typeof SharedArrayBuffer === 'undefined') return 1;
  return requested && requested > 0 ? requested : Math.max(1, Math.min(4, globalThis.navigator?.hardwareConcurrency ?? 1));
}

function firstLine(error: unknown): string {
  return oneLine((error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '');
}

/**
 * Why WebGPU cannot run here, or undefined when a hardware adapter answered. Bun has no
 * navigator.gpu; Deno has one even with no GPU, and may answer with a software (fallback)
 * adapter: measured with llvmpipe, the shipped model took 172 ms per image·step against 28 ms
 * on one WebAssembly thread, so a software adapter counts as none.
 */
async function webgpuUnavailable(): Promise<string | undefined> {
  const gpu = (globalThis.navigator as { gpu?: GpuLike } | undefined)?.gpu;
  if (!gpu) return 'this runtime has no navigator.gpu';
  let adapter: GpuAdapterLike | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (error) {
    return `requestAdapter failed: ${firstLine(error)}`;
  }
  if (!adapter) return 'navigator.gpu has no adapter';
  if (adapter.info?.isFallbackAdapter ?? adapter.isFallbackAdapter) {
    const name = adapter.info?.description ? `: ${oneLine(adapter.info.description)}` : '';
    return `only a software adapter, slower than WebAssembly${name}`;
  }
  return undefined;
}

/** A model's bytes: given, or fetched from a URL; a failed fetch or an HTTP error is a one-line UserError naming `label`. */
export async function modelBytes(source: Uint8Array | URL | string, label = String(source)): Promise<Uint8Array> {
  if (source instanceof Uint8Array) return source;
  let response: Response;
  try {
    response = await fetch(source);
  } catch (error) {
    throw new UserError(`cannot load model ${oneLine(label)} with the web backend: ${firstLine(error)}`);
  }
  if (!response.ok) throw new UserError(`cannot load model ${oneLine(label)} with the web backend: HTTP ${response.status} ${oneLine(response.statusText)}`);
  try {
    return new Uint8Array(await response.arrayBuffer());
  } catch (error) {
    throw new UserError(`cannot load model ${oneLine(label)} with the web backend: ${firstLine(error)}`);
  }
}

/** A session on one provider of one onnxruntime-web build, as a DiffusionModel. */
async function open(ort: Ort, provider: 'webgpu' | 'wasm', bytes: Uint8Array, label: string, options: WebModelOptions): Promise<DiffusionModel> {
  ort.env.logLevel = 'fatal';
  const paths = options.wasmPaths;
  if (paths !== undefined) ort.env.wasm.wasmPaths = typeof paths === 'string' || paths instanceof URL ? String(paths) : { ...paths };
  // Under WebGPU the network runs on the GPU; the WebGPU build's thread workers come from
  // blob: URLs, which Deno refuses ("Only file and data URLs are supported").
  ort.env.wasm.numThreads = provider === 'webgpu' ? 1 : wasmThreads(options.intraOpThreads);
  if (provider === 'webgpu') ort.env.webgpu.powerPreference = 'high-performance';
  let session: Awaited<ReturnType<Ort['InferenceSession']['create']>>;
  try {
    // logSeverityLevel 4: onnxruntime-web would print, e.g., which nodes it kept on the CPU.
    session = await ort.InferenceSession.create(bytes, { executionProviders: [provider], graphOptimizationLevel: 'all', logSeverityLevel: 4 });
  } catch (error) {
    throw new UserError(`cannot load model ${oneLine(label)} with the web backend: ${firstLine(error)}`);
  }
  const createTensor = (type: TensorType, data: TensorData, dims: readonly number[]) => new ort.Tensor(type, data, dims);
  const providers: ExecutionProvider[] = [provider];
  return diffusionModelOf(session, { path: label, providers, createTensor }, options);
}

/**
 * A WebGPU session. The default build has WebGPU in browsers (JSEP) but resolves to the Node
 * build under Bun and Deno, which has none: then the WebGPU build (onnxruntime-web/webgpu, its
 * own 27 MB .wasm) is loaded, only then.
 */
async function openWebgpu(bytes: Uint8Array, label: string, options: WebModelOptions): Promise<DiffusionModel> {
  try {
    return await open(await import('onnxruntime-web'), 'webgpu', bytes, label, options);
  } catch (error) {
    if (!/\[webgpu\] backend not found/.test(firstLine(error))) throw error;
  }
  return open(await import('onnxruntime-web/webgpu'), 'webgpu', bytes, label, options);
}

/**
 * Load an ONNX diffusion network with onnxruntime-web. `providers` including webgpu asks for
 * the GPU: where none answers, it runs on WebAssembly with a warning; `info.providers` says
 * which ran.
 *
 * @example
 * const model = await loadWebModel(await (await fetch('/models/ddpm_fashion_mnist.onnx')).bytes(), { providers: ['webgpu'], expect: { channels: 1, size: 32 } });
 */
export async function loadWebModel(source: Uint8Array | URL | string, options: WebModelOptions = {}): Promise<DiffusionModel> {
  const label = options.label ?? (source instanceof Uint8Array ? 'model bytes' : String(source));
  const bytes = await modelBytes(source, label);
  const asked = options.providers ?? ['wasm'];
  if (asked.includes('cuda')) options.onWarning?.('execution provider "cuda" does not exist in the web backend (webgpu, wasm); ignored');
  if (asked.includes('webgpu')) {
    let why = await webgpuUnavailable();
    if (!why) {
      try {
        return await openWebgpu(bytes, label, options);
      } catch (error) {
        why = firstLine(error);
      }
    }
    options.onWarning?.(`execution provider "webgpu" is not available (${why}); using wasm`);
  }
  return open(await import('onnxruntime-web'), 'wasm', bytes, label, options);
}
