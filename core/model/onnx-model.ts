/** The native backend of DiffusionModel: onnxruntime-node, with the cpu, cuda and webgpu providers. */
import type { DiffusionModel, ModelOptions } from './model.ts';
import { diffusionModelOf } from './onnx-diffusion-model.ts';
import { createSession, createTensor } from './onnx-session.ts';

/**
 * Load an ONNX diffusion network: `x` [B,C,H,W] float32 and a [B] timestep input
 * (int64, int32 or float, read from the model), one output.
 *
 * @example
 * const model = await loadOnnxModel('models/ddpm_fashion_mnist.onnx', { expect: { channels: 1, size: 32 } });
 */
export async function loadOnnxModel(path: string, options: ModelOptions = {}): Promise<DiffusionModel> {
  const { session, providers } = await createSession(path, options);
  return diffusionModelOf(session, { path, providers, createTensor }, options);
}

