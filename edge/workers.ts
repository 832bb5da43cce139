/**
 * The Cloudflare Workers form of the edge module: the model and config arrive as modules of
 * the upload (Data, Text) instead of URLs, and onnxruntime-web loads through
 * ./workers-ort-loader.mjs. edge/build.ts --workers writes the entry that calls this.
 */
import { type FetchHandler } from '../server/adapters/listening-server.ts';
import { workerHandler } from '../server/adapters/workers.ts';
import { createWebPipeline } from './create-web-pipeline.ts';

export interface WorkersAssets {
  /** The YAML config's text. */
  readonly config: string;
  /** The ONNX model's bytes. */
  readonly model: ArrayBuffer;
}

/** @example export default workersHandler({ config, model }); // config: Text module, model: Data module */
export function workersHandler({ config, model }: WorkersAssets): FetchHandler {
  return workerHandler({
    pipeline: () => createWebPipeline({ config, model: new Uint8Array(model), wasmPaths: { mjs: './ort-loader.mjs' } }),
  });
}
