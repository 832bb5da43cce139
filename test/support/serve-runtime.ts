/**
 * The same app on another runtime's adapter: server/adapters/deno.ts under Deno,
 * server/adapters/node.ts under Node. Starts on a loopback port, asks for one PNG, one bad
 * request and one event stream, prints what came back as JSON, shuts down.
 *   node --import tsx test/support/serve-runtime.ts
 *   deno run --allow-read --allow-env --allow-ffi --allow-net=127.0.0.1 test/support/serve-runtime.ts
 */
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createPipeline, loadConfig } from '../../index.ts';
import { createApp } from '../../server.ts';

const runtime = 'Deno' in globalThis ? 'deno' : 'node';
const { listen } = runtime === 'deno' ? await import('../../server/adapters/deno.ts') : await import('../../server/adapters/node.ts');
const config = loadConfig(fileURLToPath(new URL('../../models/ddpm_fashion_mnist.yaml', import.meta.url)));
const pipeline = await createPipeline(config);
const server = await listen(createApp({ pipeline }), { hostname: '127.0.0.1', port: 0 });

const post = (body: unknown, accept: string) =>
  fetch(`${server.url}/v1/sample`, { method: 'POST', headers: { 'content-type': 'application/json', accept }, body: JSON.stringify(body) });
const png = await post({ n_samples: 1, seed: 7, skip_steps: 3 }, 'image/png');
const pngBytes = new Uint8Array(await png.arrayBuffer());
const bad = await post({ n_samples: 'two' }, 'application/json');
const stream = await (await post({ n_samples: 1, seed: 7, skip_steps: 3 }, 'text/event-stream')).text();
const events = [...stream.matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);
console.log(
  JSON.stringify({
    runtime,
    port: server.port,
    png: { status: png.status, type: png.headers.get('content-type'), sha256: createHash('sha256').update(pngBytes).digest('hex') },
    bad: { status: bad.status, body: await bad.json() },
    events,
  }),
);
await server.stop();
await pipeline.dispose();
