/**
 * One full sampling run of the shipped model in a fresh process, under Bun or Deno; prints its
 * images·steps/s. Results stay in memory (memorySink): no sharp and no native addon on the web
 * backend, so Deno needs only --allow-read and --allow-env.
 *   bun bench/web-probe.ts web|native BATCH SAMPLES STEPS
 *   deno run --allow-read --allow-env bench/web-probe.ts web BATCH SAMPLES STEPS
 */
import { loadConfig } from '../core/config/load-config.ts';
import { parseOverride } from '../core/config/overrides.ts';
import { loadBackendModel } from './backend-model.ts';
import { Pipeline } from '../core/pipeline.ts';
import { memorySink } from '../core/sinks/memory-sink.ts';
import { createDefaultRegistry } from '../plugins/index.ts';

const [backend = 'web', batch = '16', samples = '64', steps = '20'] = process.argv.slice(2);
const overrides = [`sampler.n_samples=${samples}`, `sampler.micro_batch=${batch}`, `diffusion.params.skip_steps=${steps}`];
const config = loadConfig(new URL('../models/ddpm_fashion_mnist.yaml', import.meta.url).pathname, { overrides: overrides.map(parseOverride) });
const warnings: string[] = [];
const model = await loadBackendModel(config, backend === 'web' ? 'web' : 'native', { onWarning: (w) => warnings.push(w) });
const pipeline = new Pipeline({ config, registry: createDefaultRegistry(), model, ownsModel: true });
const summary = await pipeline.run({ sink: memorySink() });
await pipeline.dispose();
const imageSteps = Number(samples) * Number(steps);
console.log(JSON.stringify({ imagesStepsPerSec: imageSteps / (summary.timings.totalMs / 1000), totalMs: summary.timings.totalMs, providers: model.info.providers, warnings }));
