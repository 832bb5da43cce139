/**
 * Process start to the first model call, as the CLI does it: load the config, create the
 * onnxruntime session, check it with one call.
 *   bun bench/cold-start-probe.ts SPAWN_EPOCH_MS   (the parent's Date.now() when it spawned us)
 */
import { join } from 'node:path';
import { createPipeline, loadConfig } from '../index.ts';

const spawnedAt = Number(process.argv[2]);
const config = loadConfig(join(import.meta.dir, '../models/ddpm_fashion_mnist.yaml'));
const pipeline = await createPipeline(config); // ends with the model's first (probe) call
const firstCallMs = Date.now() - spawnedAt;
const inProcessMs = performance.now();
await pipeline.dispose();
console.log(JSON.stringify({ firstCallMs, inProcessMs }));
