/**
 * The Cloudflare Workers form of the edge module: the model and config arrive as modules of
 * the upload (Data, Text) instead of URLs, and onnxruntime-web loads through
 * ./workers-ort-loader.mjs. edge/build.ts --workers writes the entry that calls this.
 */
import { workerHandler } from '../server/adapters/workers.ts';
import { createWebPipeline } from './create-web-pipeline.ts';
import { edgeConfig } from './edge-defaults.ts';
import { type EdgeHandler, edgeHandler } from './edge-handler.ts';

export interface WorkersAssets {
  /** The YAML config's text. */
  readonly config: string;
  /** The ONNX model's bytes. */
  readonly model: ArrayBuffer;
}

/** @example export default workersHandler({ config, model }); // config: Text module, model: Data module */
export function workersHandler({ config, model }: WorkersAssets): EdgeHandler {
  const pipeline = async () => createWebPipeline({ config: edgeConfig(config), model: new Uint8Array(model), wasmPaths: { mjs: './ort-loader.mjs' } });
  return edgeHandler((authToken) => workerHandler({ pipeline, authToken }));
}
