/**
 * The two model backends, each loaded only when chosen: code that never asks for the native
 * one (a Deno process without --allow-ffi, a worker) never loads the native addon.
 */
import type { DiffusionModel, ModelOptions } from './model.ts';
import type { WebModelOptions } from './onnx-web-model.ts';

/** onnxruntime-node: cpu, or cuda / webgpu where the machine has them (else a fallback to cpu). See ./onnx-model.ts. */
export async function loadOnnxModel(path: string, options: ModelOptions = {}): Promise<DiffusionModel> {
  return (await import('./onnx-model.ts')).loadOnnxModel(path, options);
}

/** onnxruntime-web: WebAssembly (and WebGPU where navigator.gpu exists), from bytes or a URL. See ./onnx-web-model.ts. */
export async function loadWebModel(source: Uint8Array | URL | string, options: WebModelOptions = {}): Promise<DiffusionModel> {
  return (await import('./onnx-web-model.ts')).loadWebModel(source, options);
}
