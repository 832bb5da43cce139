/**
 * The toolkit as an edge module: `export default { fetch }` for Cloudflare Workers, Deno
 * Deploy and `deno serve`. The same Hono app as `ddim serve`, over the web backend, with the
 * edge's defaults and limits (edge-defaults.ts) and bearer auth when DDIM_TOKEN is set; the
 * shipped model and config are fetched from URLs beside this module (edge/build.ts copies
 * them next to the bundle), so the module reads nothing but its own assets.
 */
import { workerHandler } from '../server/adapters/workers.ts';
import { edgeAssets } from './assets.ts';
import { createWebPipeline } from './create-web-pipeline.ts';
import { edgeConfig } from './edge-defaults.ts';
import { edgeHandler } from './edge-handler.ts';

async function pipeline() {
  const { config, model, wasm } = edgeAssets();
  const response = await fetch(config);
  if (!response.ok) throw new Error(`cannot fetch config ${config}: HTTP ${response.status}`);
  return createWebPipeline({ config: edgeConfig(await response.text()), model, wasmPaths: wasm });
}

export default edgeHandler((authToken) => workerHandler({ pipeline, authToken }));
