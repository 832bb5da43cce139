/**
 * What a user does: pack the toolkit and the example plugin package as they would be published,
 * install both with `bun add` in a fresh project outside the repository, then run the installed
 * `ddim` bin with Bun (`bunx --bun ddim`) on the plugin: named in a config, given with --plugin,
 * and served over HTTP. test/package-node.test.ts installs it with npm and pnpm for Node and Deno.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { cpSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './support/paths.ts';
import { bunPack, createProject, exec, execOk, npmPackFiles, serve, tarballFiles, tempDir } from './support/pack.ts';
import { packageInfo, parseModule } from './support/source-graph.ts';

const EXAMPLE = join(ROOT, 'examples/ddim-plugin-example');
const DEFAULT_MODEL_FILES = ['models/ddpm_fashion_mnist.onnx', 'models/ddpm_fashion_mnist.yaml', 'models/fashion_mnist_classifier.onnx', 'models/fashion_mnist_test_stats.json'];
/** Every file the toolkit's tarball may hold; anything else (tests, bench, tools, runs, CI) is a leak. */
const SHIPPED = /^(?:package\.json|README\.md|PLUGINS\.md|docs\/(?:[^/]+\/)?[^/]+\.(?:md|png)|index\.ts|cli\.ts|server\.ts|bin\/ddim\.js|lib\/.+\.(?:js|d\.ts|d\.ts\.map)|(?:cli|server|core|eval|plugins|edge|web)\/.+\.ts|edge\/[^/]+\.(?:mjs|sh)|web\/[^/]+\.(?:html|css)|web\/dist\/.+\.js|configs\/[^/]+\.yaml|models\/[^/]+)$/;
const FORBIDDEN = /\.test\.ts$|^(?:test|bench|tools|runs|samples|examples|\.ci|node_modules)\/|^(?:tsconfig\.json|bunfig\.toml|bun\.lock|\.npmrc)$/;
const SOURCE_DIRS = ['cli', 'server', 'core', 'eval', 'plugins'];
const EXAMPLE_FILES = ['README.md', 'antithetic.ts', 'guidance-window.ts', 'index.ts', 'package.json', 'stride.ts'];
/** Sources that tsconfig.build.json leaves out of lib/: the browser page (bundled into web/dist) and the edge bundler (a Bun script). */
const NOT_COMPILED = /^web\/page\/|^edge\/build\.ts$/;

/** A user's config: the shipped model, the example plugin package by name, its mode and schedule. */
const USER_CONFIG = `extends: ./node_modules/ddim-toolkit/models/ddpm_fashion_mnist.yaml
plugins: [ddim-plugin-example]
diffusion: { params: { skip_type: stride } }
sampler:
  mode: antithetic
  n_samples: 2
  options: { stride: { stride: 250 } }
`;

/** The repository's non-test source files under `dir`, as package paths. */
function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .map((path) => `${dir}/${path}`)
    .filter((path) => path.endsWith('.ts') && !path.endsWith('.test.ts'));
}

const packs = { toolkit: '', example: '', dir: '' };
const lists = { bun: [] as string[], npm: [] as string[], exampleBun: [] as string[], exampleNpm: [] as string[] };
let project = '';
const cleanup: string[] = [];

beforeAll(async () => {
  packs.dir = tempDir('ddim-pack-');
  cleanup.push(packs.dir);
  [packs.toolkit, packs.example, lists.exampleNpm] = await Promise.all([bunPack(ROOT, packs.dir), bunPack(EXAMPLE, packs.dir), npmPackFiles(EXAMPLE)]);
  // After bun's pack: its prepack has built lib/ and web/dist/, which npm's list (scripts off) must hold too.
  lists.npm = await npmPackFiles(ROOT);
  [lists.bun, lists.exampleBun] = await Promise.all([tarballFiles(packs.toolkit), tarballFiles(packs.example)]);
  project = await createProject([packs.toolkit, packs.example]);
  cleanup.push(project);
  writeFileSync(join(project, 'ddim.yaml'), USER_CONFIG);
});

afterAll(() => {
  for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
});

/** As a Bun user runs the bin (`bunx --bun ddim`): Bun, whatever the bin's node shebang says, so a plugin package in TypeScript loads. */
const ddim = (...args: string[]) => exec(['bun', 'x', '--bun', 'ddim', ...args], project);
const runJson = (dir: string) => JSON.parse(readFileSync(join(project, dir, 'run.json'), 'utf8'));

describe('the ddim-toolkit tarball', () => {
  test('is the same file list from bun pm pack and npm pack', () => {
    expect(lists.bun.length).toBeGreaterThan(50);
    expect(lists.bun).toEqual(lists.npm);
  });

  test('holds the library, CLI, server, eval, built-in plugins, default models, configs and README', () => {
    const configs = readdirSync(join(ROOT, 'configs')).map((name) => `configs/${name}`);
    const required = ['package.json', 'README.md', 'index.ts', 'cli.ts', 'server.ts', ...DEFAULT_MODEL_FILES, ...configs];
    for (const dir of SOURCE_DIRS) required.push(...sourceFiles(dir));
    expect(required.filter((file) => !lists.bun.includes(file))).toEqual([]);
  });

  test('holds the JavaScript, .d.ts and source map of every module it ships in TypeScript, and nothing stale', () => {
    const sources = lists.bun.filter((file) => file.endsWith('.ts') && !file.startsWith('lib/') && !NOT_COMPILED.test(file));
    expect(sources.length).toBeGreaterThan(100);
    const compiled = sources.flatMap((file) => ['.js', '.d.ts', '.d.ts.map'].map((ext) => `lib/${file.replace(/\.ts$/, ext)}`));
    expect(compiled.filter((file) => !lists.bun.includes(file))).toEqual([]);
    expect(lists.bun.filter((file) => file.startsWith('lib/') && !compiled.includes(file))).toEqual([]);
    expect(lists.bun).toContain('bin/ddim.js');
  });

  test('holds nothing else: no tests, fixtures, benchmarks, tools, runs or CI files', () => {
    expect(lists.bun.filter((file) => FORBIDDEN.test(file) || !SHIPPED.test(file))).toEqual([]);
  });

  test('imports no file it does not hold', () => {
    const own = packageInfo([{ path: 'package.json', text: readFileSync(join(ROOT, 'package.json'), 'utf8') }]);
    const missing: string[] = [];
    for (const path of lists.bun.filter((file) => file.endsWith('.ts') && !file.startsWith('lib/'))) {
      const module = parseModule({ path, text: readFileSync(join(ROOT, path), 'utf8') }, own);
      for (const edge of module.imports) if (edge.target !== null && !lists.bun.includes(edge.target)) missing.push(`${path}:${edge.line} ${edge.specifier}`);
    }
    expect(missing).toEqual([]);
  });
});

describe('the ddim-plugin-example tarball', () => {
  test('holds its modules, package.json and README, not its tests', () => {
    expect(lists.exampleBun).toEqual(EXAMPLE_FILES);
    expect(lists.exampleNpm).toEqual(EXAMPLE_FILES);
  });

  test('imports only ddim-toolkit, valibot and its own files', () => {
    const outside: string[] = [];
    for (const file of EXAMPLE_FILES.filter((name) => name.endsWith('.ts'))) {
      const module = parseModule({ path: file, text: readFileSync(join(EXAMPLE, file), 'utf8') }, { name: null, exports: new Map() });
      for (const edge of module.imports) {
        const ownFile = edge.target !== null && EXAMPLE_FILES.includes(edge.target);
        if (!ownFile && edge.specifier !== 'ddim-toolkit' && edge.specifier !== 'valibot') outside.push(`${file}:${edge.line} ${edge.specifier}`);
      }
    }
    expect(outside).toEqual([]);
  });
});

describe('installed with bun add in a new project', () => {
  test('`ddim sample -c` runs the mode and schedule of a plugin package the config names', async () => {
    const result = await ddim('sample', '-c', 'ddim.yaml', '--save_dir', 'out-config', '--quiet');
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(readdirSync(join(project, 'out-config')).sort()).toEqual(['0.png', '1.png', 'run.json']);
    const run = runJson('out-config');
    expect(run.mode).toBe('antithetic');
    expect(run.timesteps).toEqual([249, 499, 749, 999]);
    // The installed copy's model, not the repository's.
    expect(run.model.path).toBe(join(project, 'node_modules/ddim-toolkit/models/ddpm_fashion_mnist.onnx'));
  });

  test('`ddim sample --plugin` loads the package by name, and its option schema guards the overrides', async () => {
    const result = await ddim('sample', '--plugin', 'ddim-plugin-example', '--mode', 'antithetic', '--n_samples', '1', '--skip_steps', '5', '--save_dir', 'out-flag', '--quiet');
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(existsSync(join(project, 'out-flag/0.png'))).toBe(true);
    expect(runJson('out-flag')).toMatchObject({ mode: 'antithetic', items: 1 });
    expect(runJson('out-flag').timesteps.length).toBe(5);

    const bad = await ddim('sample', '--plugin', 'ddim-plugin-example', '--skip_type', 'stride', '--quiet', 'sampler.options.stride.stride=0');
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr.trim()).toBe('error: sampler.options.stride.stride: stride must be >= 1, got 0');
  });

  test('`ddim serve` answers POST /v1/modes/antithetic with the plugin mode, then stops on SIGTERM', async () => {
    const server = await serve(['bun', 'x', '--bun', 'ddim', 'serve', '-c', 'ddim.yaml', '--host', '127.0.0.1', '--port', '0'], project);
    try {
      expect(new URL(server.url).hostname).toBe('127.0.0.1');
      const response = await fetch(`${server.url}/v1/modes/antithetic`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ n_samples: 2, seed: 7, skip_type: 'stride', options: { stride: { stride: 200 } } }),
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { picture: { width: number; height: number }; images: { png: string }[] };
      expect(body).toMatchObject({ mode: 'antithetic', seed: 7, count: 2, timesteps: [199, 399, 599, 799, 999] });
      expect(body.picture.width).toBeGreaterThan(body.picture.height); // the pair, side by side
      expect(body.images.map((image) => Buffer.from(image.png, 'base64').subarray(1, 4).toString())).toEqual(['PNG', 'PNG']);
    } finally {
      expect(await server.stop()).toBe(0);
    }
    expect(server.log()).toContain('POST /v1/modes/antithetic 200');
  });

  test('a ddim installed elsewhere (as with bun add -g) finds the plugin of the project it runs in', async () => {
    const global = await createProject([packs.toolkit], 'ddim-global-');
    cleanup.push(global);
    const result = await execOk(['bun', join(global, 'node_modules/.bin/ddim'), 'plugins', '--plugin', 'ddim-plugin-example'], project);
    const listed = JSON.parse(result.stdout) as Record<'modes' | 'schedules', { name: string; options: unknown }[]>;
    expect(listed.modes.map((mode) => mode.name)).toContain('antithetic');
    expect(listed.schedules.find((schedule) => schedule.name === 'stride')?.options).toMatchObject({ properties: { stride: { minimum: 1 } } });
  });

  test("the example's own tests and type check pass against the packed toolkit", async () => {
    const copy = tempDir('ddim-plugin-example-');
    cleanup.push(copy);
    cpSync(EXAMPLE, copy, { recursive: true, filter: (source) => !source.includes('node_modules') });
    writeFileSync(join(copy, '.npmrc'), 'onnxruntime-node-install=skip\n');
    await execOk(['bun', 'add', '--dev', '--prefer-offline', '--ignore-scripts', packs.toolkit], copy);
    const tests = await exec(['bun', 'test'], copy);
    expect(tests.stderr).toMatch(/\n [1-9]\d* pass\n 0 fail\n/);
    expect(tests.exitCode).toBe(0);
    const types = await exec([join(copy, 'node_modules/.bin/tsc'), '--noEmit'], copy);
    expect(types.stdout + types.stderr).toBe('');
    expect(types.exitCode).toBe(0);
  });
});
