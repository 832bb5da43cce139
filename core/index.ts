/** The public API of the DDIM toolkit (library use, third-party plugins). */
export * from './plugin-api.ts';
export { Registry, pluginOptions } from './registry.ts';
export { loadPlugins } from './load-plugins.ts';
export { ConfigError, AbortedError, PluginError, isUserError } from './errors.ts';
export { loadConfig } from './config/load-config.ts';
export { configFromObject, configFromText, validateConfig, withOverrides, type LoadConfigOptions } from './config/validate-config.ts';
export { parseOverride, type Override } from './config/overrides.ts';
export { RUN_OPTIONS, findRunOption, runOptionOverrides, type RunOption } from './config/run-options.ts';
export type { DdimConfig } from './config/schema.ts';
export { alphasCumprod, betaSchedule, diffusionChain, BETA_SCHEDULES, type BetaSchedule, type BetaParams, type DiffusionChain } from './math/betas.ts';
export {
  applyStep,
  createStepCoefficients,
  inversionCoefficients,
  samplingCoefficients,
  OBJECTIVES,
  type Objective,
  type StepCoefficients,
} from './math/ddim-step.ts';
export { DdimSampler, type SamplerSettings } from './sampler.ts';
export { philox4x32 } from './noise/philox.ts';
export type { DiffusionModel, ModelInfo, ModelOptions, ExecutionProvider } from './model/model.ts';
export { loadOnnxModel, loadWebModel } from './model/backends.ts';
export type { WebModelOptions } from './model/onnx-web-model.ts';
export { parseNpy, encodeNpy, npyHeader, type NpyArray } from './io/npy.ts';
export { decodeImage, listImages } from './io/images.ts';
export { decodePng, encodePng, type Pixels } from './io/png.ts';
export { renderPicture, toByte } from './io/picture.ts';
export { bytesImageSource, directoryImageSource } from './io/image-files.ts';
export { Pipeline, type PipelineOptions } from './pipeline.ts';
export { createPipeline, type PipelineDeps } from './create-pipeline.ts';
export type { RunHost } from './run-host.ts';
export { portableHost } from './io/portable-host.ts';
export { localHost } from './io/local-host.ts';
export { scheduleTimesteps } from './prepare-run.ts';
export type { PreparedRun, Progress, ResultSink, RunHooks, RunInfo, RunOptions, RunSources, RunSummary } from './run-types.ts';
export type { ImageSource } from './io/image-source.ts';
export { fileSink, type FileSink, type FileSinkOptions } from './sinks/file-sink.ts';
export { parseShard, shardRange, type ItemRange, type Shard } from './sinks/shard.ts';
export { verifySaveDir, isComplete, type VerifyReport } from './sinks/verify-save-dir.ts';
export { checkBatchInvariance, type BatchProbe } from './model/batch-invariance.ts';
export { memorySink, type MemorySink } from './sinks/memory-sink.ts';
