/**
 * The pipeline every front end shares: config -> schedule + model + DDIM engine -> a mode
 * plugin -> rendered results handed to a sink (files for the CLI, memory for the server).
 * It knows no plugin by name: modes and schedules come from the registry it is given.
 */
import { readFileSync } from 'node:fs';
import type { DdimConfig } from './config/schema.ts';
import { executeRun } from './execute-run.ts';
import { UserError, firstLine, oneLine } from './errors.ts';
import { sha256File } from './io/sha256.ts';
import { loadOnnxModel, loadWebModel } from './model/backends.ts';
import { alphasCumprod } from './math/betas.ts';
import type { DiffusionModel } from './model/model.ts';
import { prepareRun } from './prepare-run.ts';
import type { Registry } from './registry.ts';
import type { PreparedRun, RunHooks, RunOptions, RunSources, RunSummary } from './run-types.ts';

export interface PipelineOptions {
  readonly config: DdimConfig;
  readonly registry: Registry;
  readonly model: DiffusionModel;
  /** SHA-256 of the model file, recorded with every run ('' when unknown). */
  readonly modelSha256?: string;
  /** Whether dispose() disposes the model too (it does when the pipeline loaded it). */
  readonly ownsModel?: boolean;
}

export interface PipelineDeps {
  /** The modes and schedules to run (the package root's createPipeline defaults to the built-ins). */
  readonly registry: Registry;
  /** An already loaded model; default: the config's sampler.weights. */
  readonly model?: DiffusionModel;
  /** Receives non-fatal notes (e.g. a fallback from CUDA to CPU). */
  readonly onWarning?: (message: string) => void;
}

export class Pipeline {
  readonly config: DdimConfig;
  readonly registry: Registry;
  readonly model: DiffusionModel;
  readonly modelSha256: string;
  readonly #ownsModel: boolean;
  readonly #alphas = new Map<string, Float32Array>();

  constructor(options: PipelineOptions) {
    this.config = options.config;
    this.registry = options.registry;
    this.model = options.model;
    this.modelSha256 = options.modelSha256 ?? '';
    this.#ownsModel = options.ownsModel ?? false;
  }

  #alphasFor = (config: DdimConfig): Float32Array => {
    const p = config.diffusion.params;
    const key = JSON.stringify([p.total_steps, p.beta_schedule, p.beta_start, p.beta_end, p.betas]);
    let alphas = this.#alphas.get(key);
    if (!alphas) {
      alphas = alphasCumprod({ totalSteps: p.total_steps, betaSchedule: p.beta_schedule, betaStart: p.beta_start, betaEnd: p.beta_end, betas: p.betas });
      this.#alphas.set(key, alphas);
    }
    return alphas;
  };

  /**
   * Resolve and check a run of `config` (default: the pipeline's) once: mode, options,
   * schedule, timesteps, noise, inputs, plan and cost. Throws a UserError before any model call.
   */
  prepare(config: DdimConfig = this.config, sources: RunSources = {}): Promise<PreparedRun> {
    return prepareRun({ registry: this.registry, modelInfo: this.model.info, alphasFor: this.#alphasFor }, config, sources);
  }

  /** Carry out a prepared run and hand every finished micro-batch to the sink. */
  execute(prepared: PreparedRun, hooks: RunHooks): Promise<RunSummary> {
    return executeRun(prepared, hooks.model ?? this.model, this.modelSha256, hooks);
  }

  /** Prepare and carry out a run in one call. */
  async run(options: RunOptions): Promise<RunSummary> {
    const prepared = await this.prepare(options.config, options);
    return this.execute(prepared, options);
  }

  async dispose(): Promise<void> {
    if (this.#ownsModel) await this.model.dispose();
  }
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
  await registry.load(config.plugins);
  if (deps.model) return new Pipeline({ config, registry, model: deps.model });
  const { sampler, data } = config;
  if (!sampler.weights) throw new UserError('no model file: give --weights MODEL.onnx (sampler.weights)', { path: 'sampler.weights' });
  const expect = { channels: data.img_channels, size: data.img_size };
  // Each backend is loaded only when chosen: the web one must run where no native addon can load.
  const model =
    sampler.backend === 'web'
      ? await loadWebModel(readModelFile(sampler.weights), {
          label: sampler.weights,
          intraOpThreads: sampler.intra_op_threads,
          expect,
        })
      : await loadOnnxModel(sampler.weights, {
          providers: sampler.providers,
          intraOpThreads: sampler.intra_op_threads,
          interOpThreads: sampler.inter_op_threads,
          expect,
          onWarning: deps.onWarning,
        });
  return new Pipeline({ config, registry, model, modelSha256: sha256File(sampler.weights), ownsModel: true });
}
