/**
 * `bun run build:edge [--workers] [OUTDIR]`: bundle the toolkit for runtimes with no native
 * addon into one ES module with its assets beside it (the model, its config, onnxruntime-web's
 * WebAssembly). Two layouts:
 * - default (dist/edge): edge/worker.ts, which fetches its assets from URLs beside it — Deno
 *   (`deno serve`, Deno Deploy) and any runtime with file or HTTP URLs for modules.
 * - --workers (dist/workers): Cloudflare Workers, which have no module URL and may not compile
 *   WebAssembly from bytes: the assets are imported as modules (Text, Data, CompiledWasm) and
 *   edge/workers-ort-loader.mjs hands onnxruntime-web the precompiled module. Includes a
 *   wrangler.toml and a workerd.capnp (Cloudflare's runtime, from npm, for a local run).
 * A build fails if anything on the path imports a Node built-in or a native addon.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { basename, dirname, join, relative, resolve } from 'node:path';
import type { BunPlugin } from 'bun';
import { UserError } from '../core/errors.ts';

const ROOT = resolve(import.meta.dir, '..');
/** onnxruntime-web's dist folder, found as the runtime resolves the package (in an installed toolkit, the user's node_modules). */
const ORT = dirname(createRequire(import.meta.url).resolve('onnxruntime-web'));
const NATIVE = new Set(['sharp', 'onnxruntime-node', ...builtinModules]);
/** Packages with native addons, by name or subpath, and compiled addons themselves. */
const NATIVE_PATH = /^(?:sharp|onnxruntime-node|@img\/sharp-[\w-]+)(?:\/|$)|\.node$/;
/** Written into every output folder: only a folder holding it (or an empty one) is emptied by a build. */
const MARKER = '.ddim-edge-build';
const MODEL = join(ROOT, 'models/ddpm_fashion_mnist.onnx');
const CONFIG = join(ROOT, 'models/ddpm_fashion_mnist.yaml');

export type EdgeTarget = 'edge' | 'workers';

export interface EdgeBuild {
  readonly target: EdgeTarget;
  readonly outdir: string;
  readonly entry: string;
  /** Files beside the entry (their names). */
  readonly assets: readonly string[];
}

export interface EdgeBuildOptions {
  readonly target?: EdgeTarget;
  /** Default: dist/edge or dist/workers. Emptied first. */
  readonly outdir?: string;
  /** The module to bundle (edge target only). Default: edge/worker.ts. */
  readonly entry?: string;
}

/** Refuses Node built-ins and native addons; points onnxruntime-web at one build. */
function edgeOnly(refused: string[], ortBuild: string): BunPlugin {
  return {
    name: 'edge-only',
    setup(build) {
      build.onResolve({ filter: /.*/ }, (args) => {
        if (args.path.startsWith('node:') || NATIVE.has(args.path) || NATIVE_PATH.test(args.path)) refused.push(`${args.importer.replace(`${ROOT}/`, '')} imports ${args.path}`);
        return undefined;
      });
      // One onnxruntime-web build: the web backend's fallback import of the /webgpu build (for
      // Bun and Deno, whose default build has no WebGPU) would be a second copy in a bundle.
      build.onResolve({ filter: /^onnxruntime-web(\/webgpu)?$/ }, () => ({ path: join(ORT, ortBuild) }));
      // The Workers entry's assets are modules of the upload, not of the bundle.
      build.onResolve({ filter: /^\.\/ddpm_fashion_mnist\.(onnx|yaml)$/ }, (args) => ({ path: args.path, external: true }));
      // The edge bundle's assets sit beside it, not in ../models.
      build.onLoad({ filter: /edge[\\/]assets\.ts$/ }, () => ({
        loader: 'ts',
        contents: `export function edgeAssets() { const here = (name) => new URL(name, import.meta.url); return { config: here('./ddpm_fashion_mnist.yaml'), model: here('./ddpm_fashion_mnist.onnx'), wasm: here('./') }; }`,
      }));
    },
  };
}

async function bundle(entry: string, outdir: string, ortBuild: string): Promise<void> {
  const refused: string[] = [];
  let result: Awaited<ReturnType<typeof Bun.build>> | undefined;
  let failure: unknown;
  try {
    result = await Bun.build({ entrypoints: [entry], outdir, target: 'browser', format: 'esm', minify: true, naming: 'worker.js', plugins: [edgeOnly(refused, ortBuild)] });
  } catch (error) {
    failure = error; // e.g. a dependency's require('child_process'): the refused imports say why
  }
  if (refused.length > 0) throw new Error(`the edge bundle may not import Node built-ins or native addons:\n  ${[...new Set(refused)].join('\n  ')}`);
  if (failure !== undefined) throw failure;
  if (!result?.success) throw new AggregateError(result?.logs ?? [], 'bun build failed');
}

/** The Workers entry: the assets as modules, handed to edge/workers.ts. */
const workersEntry = (root: string) => `import { workersHandler } from ${JSON.stringify(join(root, 'edge/workers.ts'))};
import config from './ddpm_fashion_mnist.yaml';
import model from './ddpm_fashion_mnist.onnx';
export default workersHandler({ config, model });
`;

const WRANGLER = `# Cloudflare Workers: \`npx wrangler deploy\` from this folder (needs the paid plan's size and CPU limits).
name = "ddim-toolkit"
main = "worker.js"
compatibility_date = "2025-09-01"
# request.signal aborts when the client hangs up, so a left request stops between model calls.
compatibility_flags = ["enable_request_signal"]
# The bearer token: \`npx wrangler secret put DDIM_TOKEN\` (unset: no auth).
find_additional_modules = true
no_bundle = true
rules = [
  { type = "ESModule", globs = ["**/*.mjs"] },
  { type = "CompiledWasm", globs = ["**/*.wasm"] },
  { type = "Data", globs = ["**/*.onnx"] },
  { type = "Text", globs = ["**/*.yaml"] },
]
`;

const WORKERD = `# Cloudflare's runtime, locally: [DDIM_TOKEN=...] npx workerd serve workerd.capnp [--socket-addr http=127.0.0.1:PORT]
using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "ddim", worker = .ddim) ],
  sockets = [ (name = "http", address = "127.0.0.1:8787", http = (), service = "ddim") ],
);
const ddim :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "worker.js"),
    (name = "ort-loader.mjs", esModule = embed "ort-loader.mjs"),
    (name = "ort-glue.mjs", esModule = embed "ort-glue.mjs"),
    (name = "ort-wasm-simd-threaded.wasm", wasm = embed "ort-wasm-simd-threaded.wasm"),
    (name = "ddpm_fashion_mnist.onnx", data = embed "ddpm_fashion_mnist.onnx"),
    (name = "ddpm_fashion_mnist.yaml", text = embed "ddpm_fashion_mnist.yaml"),
  ],
  bindings = [ (name = "DDIM_TOKEN", fromEnvironment = "DDIM_TOKEN") ],
  compatibilityDate = "2025-09-01",
  compatibilityFlags = ["enable_request_signal"],
);
`;

/**
 * A build empties its output folder first: only an earlier build's (it holds the marker) or
 * an empty one, never the repository, the working directory or a folder above them.
 */
function prepareOutdir(outdir: string): void {
  const inside = (parent: string) => !relative(outdir, parent).startsWith('..');
  if (inside(ROOT) || inside(process.cwd())) throw new UserError(`build:edge: ${outdir} holds the toolkit or the working directory; give an output folder of its own (default dist/edge)`);
  if (existsSync(outdir) && readdirSync(outdir).length > 0 && !existsSync(join(outdir, MARKER))) {
    throw new UserError(`build:edge: ${outdir} is not empty and not an earlier edge build; give a new or empty folder`);
  }
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  writeFileSync(join(outdir, MARKER), 'written by edge/build.ts; the next build empties this folder\n');
}

export async function buildEdge(options: EdgeBuildOptions = {}): Promise<EdgeBuild> {
  const target = options.target ?? 'edge';
  const outdir = resolve(options.outdir ?? join(ROOT, 'dist', target));
  prepareOutdir(outdir);
  const copies: [from: string, to: string][] = [
    [MODEL, basename(MODEL)],
    [CONFIG, basename(CONFIG)],
  ];
  const written: [name: string, text: string][] = [];
  if (target === 'edge') {
    // The default build: SIMD, threads, WebGPU (JSEP) where the runtime has it.
    await bundle(options.entry ?? join(ROOT, 'edge/worker.ts'), outdir, 'ort.bundle.min.mjs');
    copies.push([join(ORT, 'ort-wasm-simd-threaded.jsep.wasm'), 'ort-wasm-simd-threaded.jsep.wasm'], [join(ORT, 'ort-wasm-simd-threaded.jsep.mjs'), 'ort-wasm-simd-threaded.jsep.mjs']);
  } else {
    // The WebAssembly-only build: Workers have no WebGPU, and its 14 MB .wasm keeps the upload under 10 MB compressed.
    const entry = join(outdir, '.entry.ts');
    writeFileSync(entry, workersEntry(ROOT));
    try {
      await bundle(entry, outdir, 'ort.wasm.bundle.min.mjs');
    } finally {
      rmSync(entry);
    }
    copies.push(
      [join(ROOT, 'edge/workers-ort-loader.mjs'), 'ort-loader.mjs'],
      [join(ORT, 'ort-wasm-simd-threaded.mjs'), 'ort-glue.mjs'],
      [join(ORT, 'ort-wasm-simd-threaded.wasm'), 'ort-wasm-simd-threaded.wasm'],
    );
    written.push(['wrangler.toml', WRANGLER], ['workerd.capnp', WORKERD]);
  }
  for (const [from, to] of copies) copyFileSync(from, join(outdir, to));
  for (const [name, text] of written) writeFileSync(join(outdir, name), text);
  return { target, outdir, entry: join(outdir, 'worker.js'), assets: [...copies.map(([, to]) => to), ...written.map(([name]) => name)] };
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const target: EdgeTarget = args.includes('--workers') ? 'workers' : 'edge';
  const dir = args.find((arg) => !arg.startsWith('--'));
  try {
    const build = await buildEdge({ target, outdir: dir ? resolve(dir) : undefined });
    console.log(`wrote ${build.entry} and ${build.assets.join(', ')}`);
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    console.error(`error: ${error.message}`);
    process.exit(2);
  }
}
