/**
 * The playground's browser scripts, bundled from web/page/ (plain TypeScript) with Bun.build.
 *
 * Why two ways: users have no build step. Under Bun, `ddim serve` bundles at start and keeps
 * the two scripts in memory (tens of milliseconds), so the page always matches the source.
 * Node and Deno have no bundler built in; for them `bun run build:web` (this file run as a
 * script) writes the same scripts to web/dist/, which git ignores (no generated files in the
 * repository) and the package ships, and web/playground.ts serves them when it is not under Bun.
 *
 * onnxruntime-web is taken in its build that loads its WebAssembly glue from beside the
 * script (the `onnxruntime-web-use-extern-wasm` condition): its threads start workers from
 * that glue file, not from our bundle, which would run the page's code in every thread.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageUrl } from '../core/io/package-url.ts';

const WEB = fileURLToPath(packageUrl('web/'));
const PAGE = join(WEB, 'page');
/** Written by `bun run build:web`, git-ignored, shipped in the package. */
export const DIST = join(WEB, 'dist');

/** The page's scripts by served name: the UI, and the worker that runs the pipeline in the browser. */
export const PAGE_SCRIPTS = ['app.js', 'browser-worker.js'] as const;
export type PageScripts = ReadonlyMap<string, string>;

/**
 * Bundle web/page/app.ts and web/page/browser-worker.ts for browsers (Bun only).
 *
 * @example
 * const scripts = await bundlePage(); // Map { 'app.js' => '...', 'browser-worker.js' => '...' }
 */
export async function bundlePage(): Promise<PageScripts> {
  if (!('Bun' in globalThis)) throw new Error('bundling the playground needs Bun; run `bun run build:web` and serve web/dist/');
  const result = await Bun.build({
    entrypoints: PAGE_SCRIPTS.map((name) => join(PAGE, name.replace(/\.js$/, '.ts'))),
    target: 'browser',
    format: 'esm',
    minify: true,
    naming: '[name].[ext]',
    conditions: ['onnxruntime-web-use-extern-wasm'],
  });
  if (!result.success) throw new AggregateError(result.logs, result.logs.map((log) => String(log)).join('\n'));
  const scripts = new Map<string, string>();
  for (const output of result.outputs) {
    const name = output.path.split(/[\\/]/).pop()!;
    if (output.kind === 'entry-point') scripts.set(name, await output.text());
  }
  const missing = PAGE_SCRIPTS.filter((name) => !scripts.has(name));
  if (missing.length > 0) throw new Error(`the bundle lacks ${missing.join(', ')}`);
  return scripts;
}

/** `bun run build:web`: write the scripts to web/dist/ for servers that run without Bun. */
async function writeDist(): Promise<void> {
  mkdirSync(DIST, { recursive: true });
  for (const [name, text] of await bundlePage()) writeFileSync(join(DIST, name), text);
  process.stderr.write(`wrote ${PAGE_SCRIPTS.join(', ')} to ${DIST}\n`);
}

if (import.meta.main) await writeDist();
