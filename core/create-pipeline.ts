/**
 * A pipeline from a config on a runtime with files (Bun, Node, Deno): the model file named
 * by sampler.weights is loaded with the chosen backend and hashed, and config paths are read
 * from disk. The edge's counterpart, from bytes, is edge/create-web-pipeline.ts.
 */
import { readFileSync } from 'node:fs';
import type { DdimConfig } from './config/schema.ts';
import { UserError, firstLine, oneLine } from './errors.ts';
import { localHost } from './io/local-host.ts';
import { loadPlugins } from './load-plugins.ts';
import { sha256Hex } from './io/sha256.ts';
import { loadOnnxModel, loadWebModel } from './model/backends.ts';
import type { DiffusionModel } from './model/model.ts';
import { Pipeline } from './pipeline.ts';
import { withModelCard } from './config/model-card-config.ts';
import { readModelCard, withoutModelCard } from './model/model-card.ts';
import type { Registry } from './registry.ts';

export interface PipelineDeps {
  /** The modes and schedules to run (the package root's createPipeline defaults to the built-ins). */
  readonly registry: Registry;
  /** An already loaded model; default: the config's sampler.weights. */
  readonly model?: DiffusionModel;
  /** Receives non-fatal notes (e.g. a fallback from CUDA to CPU). */
  readonly onWarning?: (message: string) => void;
}

/** The web backend takes bytes: the file is read here, on the native side of the toolkit. */
function readModelFile(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new UserError(`model file not found or unreadable: ${oneLine(path)} (${firstLine(error)})`, { path: 'sampler.weights' });
  }
}

/**
 * Load the model and plugins a config names and return the shared pipeline.
 *
 * @example
 * const config = loadConfig('models/ddpm_fashion_mnist.yaml');
 * const pipeline = await createPipeline(config, { registry: createDefaultRegistry() });
 * await pipeline.run({ sink: memorySink() });
 */
export async function createPipeline(config: DdimConfig, deps: PipelineDeps): Promise<Pipeline> {
  const { registry } = deps;
  await loadPlugins(registry, config.plugins);
  if (deps.model) return new Pipeline({ config, registry, model: deps.model, host: localHost });
  if (!config.sampler.weights) throw new UserError('no model file: give --weights MODEL.onnx (sampler.weights)', { path: 'sampler.weights' });
  const bytes = readModelFile(config.sampler.weights);
  const card = readModelCard(bytes, config.sampler.weights);
  if (card) config = withModelCard(config, card, config.sampler.weights);
  const { sampler, data } = config;
  const weights = sampler.weights!;
  const expect = { channels: data.img_channels, size: data.img_size };
  const nullClass = config.model.null_class ?? undefined;
  // Each backend is loaded only when chosen: the web one must run where no native addon can load.
  const model =
    sampler.backend === 'web'
      ? await loadWebModel(bytes, {
          label: weights,
          nullClass,
          providers: sampler.providers,
          intraOpThreads: sampler.intra_op_threads,
          expect,
          onWarning: deps.onWarning,
        })
      : await loadOnnxModel(weights, {
          nullClass,
          providers: sampler.providers,
          intraOpThreads: sampler.intra_op_threads,
          interOpThreads: sampler.inter_op_threads,
          expect,
          onWarning: deps.onWarning,
        });
  return new Pipeline({ config, registry, model, modelSha256: sha256Hex(bytes), networkSha256: sha256Hex(withoutModelCard(bytes)), card, ownsModel: true, host: localHost });
}
