/**
 * The pipeline every front end shares: config -> schedule + model + DDIM engine -> a mode
 * plugin -> rendered results handed to a sink (files for the CLI, memory for the server).
 * It knows no plugin by name: modes and schedules come from the registry it is given, and
 * no file system: files come through its host (./io/local-host.ts where there are files).
 */
import type { DdimConfig } from './config/schema.ts';
import { withModelCard } from './config/model-card-config.ts';
import type { ModelCard } from './model/model-card.ts';
import { executeRun } from './execute-run.ts';
import { type DiffusionChain, diffusionChain } from './math/betas.ts';
import type { DiffusionModel } from './model/model.ts';
import { prepareRun } from './prepare-run.ts';
import { betaParams } from './schedule-timesteps.ts';
import type { Registry } from './registry.ts';
import { portableHost } from './io/portable-host.ts';
import type { RunHost } from './run-host.ts';
import type { PreparedRun, RunHooks, RunOptions, RunSources, RunSummary } from './run-types.ts';

export interface PipelineOptions {
  readonly config: DdimConfig;
  readonly registry: Registry;
  readonly model: DiffusionModel;
  /** SHA-256 of the model file, recorded with every run ('' when unknown). */
  readonly modelSha256?: string;
  /** SHA-256 of the network: the file less its model card (default: modelSha256); run fingerprints use it. */
  readonly networkSha256?: string;
  /** The model file's card: every run's config is checked against it and gets its classes. */
  readonly card?: ModelCard;
  /** Whether dispose() disposes the model too (it does when the pipeline loaded it). */
  readonly ownsModel?: boolean;
  /** Files the config names (noise, input and mask folders) and the machine's memory; default: the portable host (no files; PNG inputs). */
  readonly host?: RunHost;
}

export class Pipeline {
  readonly config: DdimConfig;
  readonly registry: Registry;
  readonly model: DiffusionModel;
  readonly modelSha256: string;
  readonly networkSha256: string;
  readonly card: ModelCard | undefined;
  readonly host: RunHost;
  readonly #ownsModel: boolean;
  readonly #chains = new Map<string, DiffusionChain>();

  constructor(options: PipelineOptions) {
    this.config = options.config;
    this.registry = options.registry;
    this.model = options.model;
    this.modelSha256 = options.modelSha256 ?? '';
    this.networkSha256 = options.networkSha256 ?? this.modelSha256;
    this.card = options.card;
    this.#ownsModel = options.ownsModel ?? false;
    this.host = options.host ?? portableHost;
  }

  #chainFor = (config: DdimConfig): DiffusionChain => {
    const p = config.diffusion.params;
    const key = JSON.stringify([p.total_steps, p.beta_schedule, p.beta_start, p.beta_end, p.betas]);
    let chain = this.#chains.get(key);
    if (!chain) {
      chain = diffusionChain(betaParams(config));
      this.#chains.set(key, chain);
    }
    return chain;
  };

  /**
   * Resolve and check a run of `config` (default: the pipeline's) once: mode, options,
   * schedule, timesteps, noise, inputs, plan and cost. Throws a UserError before any model call.
   */
  prepare(config: DdimConfig = this.config, sources: RunSources = {}): Promise<PreparedRun> {
    // A run's own config (a request's, the CLI's) gets the model card's classes as the pipeline's did.
    const withCard = this.card ? withModelCard(config, this.card, this.model.info.path) : config;
    return prepareRun({ registry: this.registry, modelInfo: this.model.info, chainFor: this.#chainFor, host: this.host }, withCard, sources);
  }

  /** Carry out a prepared run and hand every finished micro-batch to the sink. */
  execute(prepared: PreparedRun, hooks: RunHooks): Promise<RunSummary> {
    return executeRun(prepared, hooks.model ?? this.model, { sha256: this.modelSha256, networkSha256: this.networkSha256 }, hooks);
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
