/**
 * The second model backend: onnxruntime-web (WebAssembly with SIMD, threads where the
 * runtime allows them), behind the same DiffusionModel. WebGPU is not wired yet: the default
 * onnxruntime-web bundle has no WebGPU backend, and no adapter exists here to test one.
 * It takes the model as bytes or a URL and touches no `node:` module, so the same code runs
 * in Bun, Deno, Node, workers and browsers.
 */
import * as ort from 'onnxruntime-web';
import { UserError, oneLine } from '../errors.ts';
import type { DiffusionModel, ExecutionProvider, ModelOptions } from './model.ts';
import type { TensorData, TensorType } from './onnx-common.ts';
import { diffusionModelOf } from './onnx-diffusion-model.ts';

export interface WebModelOptions extends Pick<ModelOptions, 'expect' | 'intraOpThreads' | 'onWarning'> {
  /** How the model is named in messages and run records (a path or URL). */
  readonly label?: string;
}

/** WASM threads need SharedArrayBuffer (cross-origin isolation in browsers); one thread otherwise. */
function wasmThreads(requested: number | undefined): number {
  if (typeof SharedArrayBuffer === 'undefined') return 1;
  return requested && requested > 0 ? requested : Math.max(1, Math.min(4, globalThis.navigator?.hardwareConcurrency ?? 1));
}

/**
 * Load an ONNX diffusion network with onnxruntime-web.
 *
 * @example
 * const model = await loadWebModel(await (await fetch('/models/ddpm_fashion_mnist.onnx')).bytes(), { expect: { channels: 1, size: 32 } });
 */
export async function loadWebModel(source: Uint8Array | URL | string, options: WebModelOptions = {}): Promise<DiffusionModel> {
  const label = options.label ?? (source instanceof Uint8Array ? 'model bytes' : String(source));
  ort.env.logLevel = 'fatal';
  ort.env.wasm.numThreads = wasmThreads(options.intraOpThreads);
  const providers: ExecutionProvider[] = ['wasm'];
  let session: ort.InferenceSession;
  try {
    const bytes = source instanceof Uint8Array ? source : new Uint8Array(await (await fetch(source)).arrayBuffer());
    session = await ort.InferenceSession.create(bytes, { executionProviders: [...providers], graphOptimizationLevel: 'all' });
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new UserError(`cannot load model ${oneLine(label)} with the web backend: ${oneLine(reason ?? '')}`);
  }
  const createTensor = (type: TensorType, data: TensorData, dims: readonly number[]) => new ort.Tensor(type, data, dims);
  return diffusionModelOf(session, { path: label, providers, createTensor }, options);
}
