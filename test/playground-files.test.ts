/**
 * The playground's server side, without a browser: its routes (isolation headers, ETags, a
 * large file read only for a 200, safe paths), the config it gives the browser (an
 * allowlist), its model and its list of the plugins a browser run has. The page itself is
 * driven in chromium by ./playground.test.ts.
 */
import { describe, expect, test } from 'bun:test';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Hono } from 'hono';
import { loadConfig } from '../core/config/load-config.ts';
import { configFromObject } from '../core/config/validate-config.ts';
import { createDefaultRegistry } from '../plugins/index.ts';
import { playgroundRoutes } from '../server/routes/playground.ts';
import { browserConfig, createPlayground } from '../web/playground.ts';
import { DEFAULT_CONFIG, ROOT, tempDirSync } from './support/fixtures.ts';

const isolated = (response: Response) => [response.status, response.headers.get('cross-origin-embedder-policy'), response.headers.get('cross-origin-opener-policy')];
const gone = () => Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' });

describe('the playground routes', () => {
  const app = new Hono();
  const asked: string[] = [];
  let reads = 0;
  playgroundRoutes(app, {
    file: async (path) => {
      asked.push(path);
      if (path === 'index.html') return { body: '<!doctype html>', type: 'text/html', etag: 'v1' };
      if (!path.endsWith('.bin')) return undefined;
      // A large file, read when a 200 needs it; gone.bin was deleted since.
      const body = async () => {
        reads++;
        if (path === 'gone.bin') throw gone();
        if (path === 'broken.bin') throw new Error('EIO: i/o error, read /srv/secret');
        return 'big';
      };
      return { body, type: 'application/octet-stream', etag: 'b1' };
    },
  });

  test('answer the page, a 304 for its ETag, and a 404 with the isolation headers otherwise', async () => {
    const page = await app.request('/');
    expect([page.status, page.headers.get('etag'), await page.text()]).toEqual([200, '"v1"', '<!doctype html>']);
    expect((await app.request('/', { headers: { 'if-none-match': '"v0", "v1"' } })).status).toBe(304);
    expect(isolated(await app.request('/playground/app.js'))).toEqual([404, 'require-corp', 'same-origin']);
  });

  test('read a large file only for a 200, and answer one gone since start-up with an isolated 404 (an unreadable one: 500)', async () => {
    reads = 0;
    expect((await app.request('/playground/big.bin', { headers: { 'if-none-match': '"b1"' } })).status).toBe(304);
    expect((await app.request('/playground/big.bin', { method: 'HEAD' })).status).toBe(200);
    expect(reads).toBe(0);
    expect(await (await app.request('/playground/big.bin')).text()).toBe('big');
    expect(isolated(await app.request('/playground/gone.bin'))).toEqual([404, 'require-corp', 'same-origin']);
    const broken = await app.request('/playground/broken.bin');
    expect([...isolated(broken), JSON.stringify(await broken.json()).includes('/srv')]).toEqual([500, 'require-corp', 'same-origin', false]);
    expect(reads).toBe(3);
  });

  test('never ask for a path outside the playground', async () => {
    asked.length = 0;
    for (const path of ['/playground/..%2Fpackage.json', '/playground/.env', '/playground/a//b', '/playground/%2e%2e/cli.ts']) {
      expect((await app.request(path)).status).toBe(404);
    }
    expect(asked).toEqual([]);
  });
});

describe('the playground files', () => {
  /** Every key the browser may get, by section; `true`: a whole value (the diffusion math, the plugins' options). */
  const ALLOWED: Record<string, readonly string[] | true> = {
    seed: true,
    // A conditional model's classes and its "no class" label, for class names in a browser run.
    data: ['img_size', 'img_channels', 'num_classes', 'class_names'],
    model: ['null_class'],
    diffusion: ['params'],
    sampler: ['weights', 'backend', 'providers', 'micro_batch', 'n_samples', 'mode', 'n_interpolate', 'class', 'classes', 'n_samples_each_class', 'guidance_scale', 'guidance', 'options'],
    server: ['max_samples_per_request', 'max_steps_per_request'],
  };

  test("give the browser an allowlist of the service config: none of the server's files, settings or plugins", () => {
    const overrides = [
      ['sampler.noise', 'noise.npy'],
      ['server.auth_token_env', 'DDIM_SECRET_NAME'],
      ['data.cache_dir', '/srv/private'],
      ['plugins', ['./private-plugin.ts']],
    ].map(([path, value]) => ({ path: path as string, value, origin: 'test' }));
    const config = loadConfig(DEFAULT_CONFIG, { overrides });
    const browser = browserConfig(config) as Record<string, Record<string, unknown>>;
    for (const [key, value] of Object.entries(browser)) {
      const allowed = ALLOWED[key];
      expect({ key, allowed: allowed !== undefined }).toEqual({ key, allowed: true });
      if (Array.isArray(allowed)) for (const inner of Object.keys(value)) expect({ key, inner, allowed: allowed.includes(inner) }).toEqual({ key, inner, allowed: true });
    }
    expect(browser.sampler).toMatchObject({ weights: 'model.onnx', backend: 'web', n_samples: config.sampler.n_samples });
    const text = JSON.stringify(browser);
    for (const secret of ['dataroot', '/usr/share', ROOT, 'DDIM_SECRET_NAME', '/srv/private', 'private-plugin']) expect({ secret, found: text.includes(secret) }).toEqual({ secret, found: false });
    // What the browser's pipeline validates: the same math.
    expect(configFromObject(browser).diffusion.params).toEqual(config.diffusion.params);
  });

  test('serve the model while it exists (read for a 200 only), then a 404; and name the built-in plugins', async () => {
    const dir = tempDirSync('ddim-playground-files-');
    const weights = join(dir, 'model.onnx');
    writeFileSync(weights, 'onnx bytes');
    const config = loadConfig(DEFAULT_CONFIG, { overrides: [{ path: 'sampler.weights', value: weights, origin: 'test' }] });
    const app = new Hono();
    playgroundRoutes(app, createPlayground(config, { scripts: 'dist', onWarning: () => {} }));
    try {
      const model = await app.request('/playground/model.onnx');
      expect([model.status, await model.text()]).toEqual([200, 'onnx bytes']);
      expect((await app.request('/playground/model.onnx', { headers: { 'if-none-match': model.headers.get('etag')! } })).status).toBe(304);
      rmSync(weights);
      expect(isolated(await app.request('/playground/model.onnx'))).toEqual([404, 'require-corp', 'same-origin']);
      const registry = createDefaultRegistry();
      expect(await (await app.request('/playground/browser-plugins.json')).json()).toEqual({ modes: registry.names('mode'), schedules: registry.names('schedule') });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
