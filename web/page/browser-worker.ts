/**
 * Runs in a Web Worker, so that sampling never blocks the page: the same pipeline as the
 * service (its config, its model bytes, the built-in plugins) on onnxruntime-web's
 * WebAssembly backend, threaded where the page is cross-origin isolated. Live previews come
 * from the pipeline's onPreview hook.
 */
import { runOptionOverrides } from '../../core/config/run-options.ts';
import type { Override } from '../../core/config/overrides.ts';
import { withOverrides } from '../../core/config/validate-config.ts';
import { toByte } from '../../core/io/picture.ts';
import type { Pipeline } from '../../core/pipeline.ts';
import { memorySink } from '../../core/sinks/memory-sink.ts';
import { createWebPipeline } from '../../edge/create-web-pipeline.ts';
import { yieldingModel } from '../../edge/yielding-model.ts';
import type { RunRequest, WorkerReply, WorkerRequest } from './messages.ts';
import { pngImageSource } from './png-source.ts';

interface WorkerScope {
  postMessage(message: WorkerReply): void;
  onmessage: ((event: MessageEvent<WorkerRequest>) => void) | null;
}
const scope = globalThis as unknown as WorkerScope;
/** /playground/: the page's files, the model, the config and onnxruntime-web's WebAssembly. */
const BASE = new URL('./', import.meta.url);

let loading: Promise<Pipeline> | undefined;
const running = new Map<number, AbortController>();

function loadPipeline(id: number): Promise<Pipeline> {
  if (!loading) {
    scope.postMessage({ type: 'note', id, text: 'loading the model into this browser (WebAssembly)…' });
    loading = (async () => {
      const response = await fetch(new URL('config.json', BASE));
      if (!response.ok) throw new Error(`cannot fetch the service config: HTTP ${response.status}`);
      const config = (await response.json()) as Record<string, unknown>;
      return createWebPipeline({ config, model: new URL('model.onnx', BASE), wasmPaths: BASE });
    })();
    loading.catch(() => (loading = undefined));
  }
  return loading;
}

/** The request's fields applied to the service config, as the server applies a request's. */
function overridesOf(request: RunRequest): Override[] {
  const overrides = runOptionOverrides(request.fields);
  overrides.push({ path: 'sampler.mode', value: request.mode, origin: 'mode' });
  for (const [plugin, options] of Object.entries(request.options)) {
    for (const [key, value] of Object.entries(options)) overrides.push({ path: `sampler.options.${plugin}.${key}`, value, origin: `options.${plugin}.${key}` });
  }
  return overrides;
}

/** RGBA pixels of each sample's x0 (C·H·W in [−1, 1]), copied: the sampler reuses its buffer. */
function previewFrames(x0: Float32Array, shape: { channels: number; height: number; width: number }): ImageData[] {
  const { channels, height, width } = shape;
  const plane = height * width;
  const frames: ImageData[] = [];
  for (let offset = 0; offset + channels * plane <= x0.length; offset += channels * plane) {
    const rgba = new Uint8ClampedArray(plane * 4);
    for (let p = 0; p < plane; p++) {
      for (let c = 0; c < 3; c++) rgba[p * 4 + c] = toByte(x0[offset + (channels === 1 ? 0 : c) * plane + p]!);
      rgba[p * 4 + 3] = 255;
    }
    frames.push(new ImageData(rgba, width, height));
  }
  return frames;
}

/** Cancels the run when the page raises its shared flag (read at each step: see WorkerRequest). */
function watchFlag(controller: AbortController, flag: Int32Array | undefined): () => void {
  return () => {
    if (flag && Atomics.load(flag, 0) === 1) controller.abort();
  };
}

async function run(id: number, request: RunRequest, controller: AbortController, check: () => void): Promise<void> {
  const { signal } = controller;
  const pipeline = await loadPipeline(id);
  check();
  const config = withOverrides(pipeline.config, overridesOf(request));
  const { channels, height } = pipeline.model.info;
  const images = request.images.length > 0 ? pngImageSource(request.images, height, channels, 'images') : undefined;
  const masks = request.masks.length > 0 ? pngImageSource(request.masks, height, 1, 'masks', Math.max(request.images.length, request.masks.length)) : undefined;
  const prepared = await pipeline.prepare(config, { inputs: images, masks });
  const steps = prepared.timesteps.length;
  scope.postMessage({ type: 'accepted', id, count: prepared.plan.count, steps });
  const sink = memorySink();
  const started = performance.now();
  await pipeline.execute(prepared, {
    sink,
    // A turn of the event loop before every model call, so that a 'cancel' message gets through.
    model: yieldingModel(pipeline.model),
    signal,
    previewEvery: request.previewEvery,
    onProgress: (p) => {
      check();
      scope.postMessage({ type: 'progress', id, progress: { step: p.step, steps: p.steps, itemsDone: p.itemsDone, items: p.items } });
    },
    onPreview: (x0, step, total) => scope.postMessage({ type: 'preview', id, step, steps: total, frames: previewFrames(x0, prepared.planContext.shape) }),
  });
  const result = { pngs: sink.pngs, seed: prepared.config.seed, steps, ms: performance.now() - started };
  scope.postMessage({ type: 'result', id, result });
}

scope.onmessage = ({ data }) => {
  if (data.type === 'cancel') {
    running.get(data.id)?.abort();
    return;
  }
  const controller = new AbortController();
  running.set(data.id, controller);
  run(data.id, data.request, controller, watchFlag(controller, data.cancelFlag))
    .catch((error: unknown) => scope.postMessage({ type: 'error', id: data.id, message: error instanceof Error ? error.message : String(error) }))
    .finally(() => running.delete(data.id));
};
