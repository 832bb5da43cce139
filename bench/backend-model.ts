/**
 * The model a config names, on the backend asked for, the way createPipeline loads it, but
 * without importing the package root: a probe of the web backend under Deno must not pull in
 * sharp (which would need --allow-ffi).
 */
import { readFileSync } from 'node:fs';
import type { DdimConfig } from '../core/config/schema.ts';
import { loadOnnxModel, loadWebModel } from '../core/model/backends.ts';
import type { DiffusionModel, ExecutionProvider } from '../core/model/model.ts';

export function loadBackendModel(
  config: DdimConfig,
  backend: 'native' | 'web',
  options: { providers?: ExecutionProvider[]; onWarning?: (message: string) => void } = {},
): Promise<DiffusionModel> {
  const weights = config.sampler.weights!;
  const common = { expect: { channels: config.data.img_channels, size: config.data.img_size }, intraOpThreads: config.sampler.intra_op_threads, ...options };
  return backend === 'web' ? loadWebModel(readFileSync(weights), { label: weights, ...common }) : loadOnnxModel(weights, common);
}
