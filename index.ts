/**
 * The package root, `ddim-toolkit`: the core library and plugin API, with the built-in
 * modes and schedules wired in. `createPipeline` here defaults to them.
 */
import { type DdimConfig, type Pipeline, type PipelineDeps, createPipeline as createCorePipeline } from './core/index.ts';
import { createDefaultRegistry } from './plugins/index.ts';

export * from './core/index.ts';
export { builtinPlugins, createDefaultRegistry } from './plugins/index.ts';

/**
 * Load the model and plugins a config names and return the shared pipeline, with the
 * built-in plugins unless `deps.registry` is given.
 *
 * @example
 * const pipeline = await createPipeline(loadConfig('models/ddpm_fashion_mnist.yaml'));
 * await pipeline.run({ sink: memorySink() });
 */
export function createPipeline(config: DdimConfig, deps: Partial<PipelineDeps> = {}): Promise<Pipeline> {
  return createCorePipeline(config, { ...deps, registry: deps.registry ?? createDefaultRegistry() });
}
