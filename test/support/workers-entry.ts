/**
 * The Workers-style handler (server/adapters/workers.ts) over the shipped model, for
 * `deno serve`: the platform owns the socket, the handler only answers requests.
 *   deno serve --allow-read --allow-env --allow-ffi --allow-net=127.0.0.1 --port 0 test/support/workers-entry.ts
 * DDIM_TEST_OVERRIDES: space-separated key.path=value overrides of the shipped config;
 * DDIM_TEST_TOKEN: a bearer token every request must carry (unset: no auth).
 */
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { createPipeline, loadConfig, parseOverride } from '../../index.ts';
import { workerHandler } from '../../server/adapters/workers.ts';

const overrides = (process.env.DDIM_TEST_OVERRIDES ?? '').split(' ').filter(Boolean).map((text) => parseOverride(text));
const config = fileURLToPath(new URL('../../models/ddpm_fashion_mnist.yaml', import.meta.url));

export default workerHandler({ pipeline: () => createPipeline(loadConfig(config, { overrides })), authToken: process.env.DDIM_TEST_TOKEN || undefined });
