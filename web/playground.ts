/**
 * The playground's files, read on the server side (Bun, Node, Deno): the page and its
 * stylesheet from web/, its two scripts (bundled from web/page/, see ./bundle.ts), the
 * onnxruntime-web WebAssembly files from node_modules, and the service's model and config,
 * so that a run in the browser builds the same pipeline as the service (with the built-in
 * plugins, which browser-plugins.json names).
 */
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageUrl } from '../core/io/package-url.ts';
import { sha256Hex } from '../core/io/sha256.ts';
import type { DdimConfig } from '../core/config/schema.ts';
import { createDefaultRegistry } from '../plugins/index.ts';
import type { Playground, PlaygroundFile } from '../server/routes/playground.ts';
import { DIST, type PageScripts, PAGE_SCRIPTS, bundlePage } from './bundle.ts';

/** The page and its stylesheet, from the package's web/ whether this module runs from its source or from dist/. */
const WEB = fileURLToPath(packageUrl('web/'));

const STATIC: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};
const ORT_FILE = /^ort-wasm-[\w.-]+\.(mjs|wasm)$/;
const JS = 'text/javascript; charset=utf-8';

export interface PlaygroundOptions {
  /**
   * Where the page's scripts come from. 'bundle': Bun.build at start, kept in memory (Bun
   * only); 'dist': the files `bun run build:web` wrote. Default: 'bundle' under Bun, else 'dist'.
   */
  readonly scripts?: 'bundle' | 'dist';
  /** Told why the page will not work (no scripts), or that a bundle failed. */
  readonly onWarning?: (message: string) => void;
}

const hash = (bytes: Uint8Array | string) => sha256Hex(bytes).slice(0, 32);

/** The sampler keys the browser's pipeline and the page read: none names a file, a thread count or a shard of the server. */
const BROWSER_SAMPLER_KEYS = ['micro_batch', 'n_samples', 'mode', 'n_interpolate', 'class', 'classes', 'n_samples_each_class', 'guidance_scale', 'guidance', 'options'] as const;

/**
 * The service config as the browser's pipeline (and the page's form) takes it, built from an
 * allowlist: config files take unknown keys, so anything not named here (data.dataroot, the
 * training sections, the server's settings, its plugin paths) stays on the server. The model
 * is the one served next to the page, the backend onnxruntime-web; the browser reads no
 * files (its inputs are the images the user gives) and has only the built-in plugins.
 * sampler.options goes whole: the form shows every mode's defaults, a plugin's run on the server too.
 */
export function browserConfig(config: DdimConfig): Record<string, unknown> {
  const sampler: Record<string, unknown> = { weights: 'model.onnx', backend: 'web', providers: ['cpu'] };
  for (const key of BROWSER_SAMPLER_KEYS) sampler[key] = config.sampler[key];
  const { max_samples_per_request, max_steps_per_request } = config.server;
  return {
    seed: config.seed,
    // A conditional model's classes and "no class" label as the server has them (its card's or its config's).
    data: { img_size: config.data.img_size, img_channels: config.data.img_channels, num_classes: config.data.num_classes, class_names: config.data.class_names },
    model: { null_class: config.model.null_class },
    diffusion: { params: config.diffusion.params },
    sampler,
    // The page's limits for its count and steps fields.
    server: { max_samples_per_request, max_steps_per_request },
  };
}

/** The modes and schedules a run in the browser has (createWebPipeline's registry): the page offers no browser run of the others. */
export function browserPlugins(): { modes: string[]; schedules: string[] } {
  const registry = createDefaultRegistry();
  return { modes: registry.names('mode'), schedules: registry.names('schedule') };
}

/** The directory of onnxruntime-web's dist files, found the way the runtime resolves the package. */
function ortDist(onWarning: PlaygroundOptions['onWarning']): { dir: string; version: string } | undefined {
  try {
    const require = createRequire(import.meta.url);
    const dir = dirname(require.resolve('onnxruntime-web'));
    const manifest = join(dir, '..', 'package.json');
    const version = existsSync(manifest) ? String((require(manifest) as { version?: string }).version) : 'unknown';
    return { dir, version };
  } catch (error) {
    onWarning?.(`playground: onnxruntime-web not found (${error instanceof Error ? error.message : String(error)}); runs in the browser will fail`);
    return undefined;
  }
}

async function distScripts(onWarning: ((message: string) => void) | undefined): Promise<PageScripts | undefined> {
  const paths = PAGE_SCRIPTS.map((name) => join(DIST, name));
  if (!paths.every((path) => existsSync(path))) {
    onWarning?.(`playground: no page scripts in ${DIST}; run \`bun run build:web\` once, or serve with Bun (the page at / stays blank until then)`);
    return undefined;
  }
  const texts = await Promise.all(paths.map((path) => readFile(path, 'utf8')));
  return new Map(PAGE_SCRIPTS.map((name, i) => [name, texts[i]!]));
}

/**
 * The playground of a service running `config`: what playgroundRoutes serves.
 *
 * @example
 * const app = createApp({ pipeline, playground: createPlayground(pipeline.config) });
 */
export function createPlayground(config: DdimConfig, options: PlaygroundOptions = {}): Playground {
  const useBundle = (options.scripts ?? ('Bun' in globalThis ? 'bundle' : 'dist')) === 'bundle';
  // Started now, so that a bundling error shows at start-up and the first page load does not wait.
  const scripts: Promise<PageScripts | undefined> = (useBundle ? bundlePage() : distScripts(options.onWarning)).catch((error: unknown) => {
    options.onWarning?.(`playground: cannot bundle the page scripts: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  });
  const ort = ortDist(options.onWarning);
  const json = (value: unknown) => {
    const body = JSON.stringify(value);
    return { body, type: 'application/json; charset=utf-8', etag: hash(body) };
  };
  const generated: Readonly<Record<string, PlaygroundFile>> = { 'config.json': json(browserConfig(config)), 'browser-plugins.json': json(browserPlugins()) };
  const weights = config.sampler.weights;

  const file = async (path: string): Promise<PlaygroundFile | undefined> => {
    const type = STATIC[path];
    if (type) {
      const body = await readFile(join(WEB, path));
      return { body, type, etag: hash(body) };
    }
    const script = (await scripts)?.get(path);
    if (script !== undefined) return { body: script, type: JS, etag: hash(script) };
    if (generated[path]) return generated[path];
    // The model and the WebAssembly are large: read only for a 200 (see PlaygroundFile.body).
    if (path === 'model.onnx' && weights) {
      const stats = await stat(weights).catch(() => undefined);
      if (!stats?.isFile()) return undefined;
      return { body: () => readFile(weights), type: 'application/octet-stream', etag: `${stats.size}-${Math.round(stats.mtimeMs)}` };
    }
    const match = ORT_FILE.exec(path);
    if (match && ort && existsSync(join(ort.dir, path))) {
      return { body: () => readFile(join(ort.dir, path)), type: match[1] === 'wasm' ? 'application/wasm' : JS, etag: `ort-${ort.version}-${path}` };
    }
    return undefined;
  };
  return { file };
}
