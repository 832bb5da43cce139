/**
 * The packed toolkit as a user without Bun meets it: installed with npm and with pnpm into a
 * new project outside the repository, then its `ddim` bin and its library run by Node, and by
 * Deno through `npm:` specifiers, with no `bun` on the PATH (so every run is the JavaScript
 * compiled into lib/ at pack time). docs/INSTALL.md shows these commands; each image must be
 * byte for byte the one the repository's CLI writes under Bun.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './support/paths.ts';
import { type Env, type Exec, bunPack, emptyProject, exec, execOk, serve, tempDir, withoutBun } from './support/pack.ts';

/** The pnpm that `npx pnpm@…` fetches from the registry (pnpm 10 and later block dependency builds by default). */
const PNPM = 'pnpm@12.23.0';
/** docs/INSTALL.md's pnpm-workspace.yaml: no install script for onnxruntime-node (its CUDA download) or protobufjs (a version notice). */
const PNPM_WORKSPACE = 'allowBuilds:\n  onnxruntime-node: false\n  protobufjs: false\n';
const DENO = join(ROOT, 'node_modules/.bin/deno');
const TSC = join(ROOT, 'node_modules/.bin/tsc');
const SAMPLE = ['sample', '--n_samples', '2', '--skip_steps', '5', '--save_dir', 'out', '--quiet'];

/** docs/INSTALL.md's library example: the shipped model, one image in memory, printed as base64 PNG. */
const libraryRun = (packageName: string) => `import { fileURLToPath } from 'node:url';
import { createPipeline, loadConfig, memorySink, parseOverride } from '${packageName}';

const shipped = fileURLToPath(import.meta.resolve('${packageName}/models/ddpm_fashion_mnist.yaml'));
const config = loadConfig(shipped, { overrides: ['sampler.n_samples=1', 'diffusion.params.skip_steps=5'].map((text) => parseOverride(text)) });
const pipeline = await createPipeline(config);
const sink = memorySink();
await pipeline.run({ sink });
await pipeline.dispose();
process.stdout.write(Buffer.from(sink.pngs[0]).toString('base64'));
`;

/** A TypeScript user's file, checked against the shipped .d.ts; `wrong` types the step count as a string. */
const typedUse = (wrong: boolean) => `import { type DdimConfig, createPipeline, loadConfig } from 'ddim-toolkit';
const config: DdimConfig = loadConfig('node_modules/ddim-toolkit/models/ddpm_fashion_mnist.yaml');
const pipeline = await createPipeline(config);
export const steps: ${wrong ? 'string' : 'number'} = (await pipeline.prepare()).timesteps.length;
`;

const state = { packDir: '', tarball: '', env: {} as Env, reference: [] as string[] };
const cleanup: string[] = [];

beforeAll(async () => {
  state.packDir = tempDir('ddim-node-pack-');
  cleanup.push(state.packDir);
  state.env = withoutBun(state.packDir);
  state.tarball = await bunPack(ROOT, state.packDir);
  // The images (as base64) every runtime below must reproduce: the repository's CLI, under Bun, from source.
  const referenceDir = tempDir('ddim-node-reference-');
  cleanup.push(referenceDir);
  await execOk(['bun', join(ROOT, 'cli.ts'), ...SAMPLE], referenceDir);
  state.reference = ['0.png', '1.png'].map((name) => readFileSync(join(referenceDir, 'out', name)).toString('base64'));
});

afterAll(() => {
  for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
});

/** A sample run's two images and run.json, against the reference images and the installed model. */
function expectSampled(result: Exec, project: string): void {
  expect(result.stderr).toBe('');
  expect(result.exitCode).toBe(0);
  expect(['0.png', '1.png'].map((name) => readFileSync(join(project, 'out', name)).toString('base64'))).toEqual(state.reference);
  const run = JSON.parse(readFileSync(join(project, 'out/run.json'), 'utf8')) as { model: { path: string } };
  expect(run.model.path.startsWith(join(project, 'node_modules/'))).toBe(true);
}

describe('installed with npm, run by Node with no Bun on the PATH', () => {
  let project = '';
  beforeAll(async () => {
    project = emptyProject('ddim-npm-');
    cleanup.push(project);
    // docs/INSTALL.md: ONNXRUNTIME_NODE_INSTALL=skip npm install ./ddim-toolkit-0.1.0.tgz (the variable is in state.env)
    await execOk(['npm', 'install', '--prefer-offline', '--no-audit', '--no-fund', state.tarball], project, state.env);
  });

  test('the PATH has no bun, and onnxruntime-node downloaded no CUDA binaries', async () => {
    expect(state.env.ONNXRUNTIME_NODE_INSTALL).toBe('skip');
    expect((await exec(['sh', '-c', 'command -v bun || command -v bunx'], project, state.env)).exitCode).not.toBe(0);
    // `node` is Node itself, not Bun's stand-in for it.
    expect((await execOk(['node', '-p', 'process.versions.bun ?? process.release.name'], project, state.env)).stdout.trim()).toBe('node');
    const binaries = join(project, 'node_modules/onnxruntime-node/bin/napi-v6', process.platform, process.arch);
    expect(existsSync(join(binaries, 'onnxruntime_binding.node'))).toBe(true);
    expect(existsSync(join(binaries, 'libonnxruntime_providers_cuda.so'))).toBe(false);
  });

  test('`npx ddim sample` writes the images the repository writes under Bun', async () => {
    expectSampled(await exec(['npx', 'ddim', ...SAMPLE], project, state.env), project);
  });

  test('`ddim serve` under Node answers /v1/health and serves the playground from the package', async () => {
    // The bin itself, not npx: npx would take the SIGTERM and exit 143 without waiting for the server.
    const server = await serve([join(project, 'node_modules/.bin/ddim'), 'serve', '--host', '127.0.0.1', '--port', '0'], project, state.env, 60_000);
    try {
      expect(((await (await fetch(`${server.url}/v1/health`)).json()) as { status?: string }).status).toBe('ok');
      for (const path of ['/', '/playground/style.css', '/playground/app.js', '/playground/browser-worker.js']) {
        const response = await fetch(`${server.url}${path}`);
        expect(`${path} ${response.status}`).toBe(`${path} 200`);
        expect((await response.arrayBuffer()).byteLength).toBeGreaterThan(1000);
      }
    } finally {
      expect(await server.stop()).toBe(0);
    }
    expect(server.log()).not.toContain('no page scripts');
  });

  test('the library under Node (`node --input-type=module -e`) samples the same first image', async () => {
    const result = await execOk(['node', '--input-type=module', '-e', libraryRun('ddim-toolkit')], project, state.env);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(state.reference[0]!);
  });

  test('TypeScript resolves the shipped .d.ts (NodeNext): a right use checks, a wrong one is caught', async () => {
    writeFileSync(join(project, 'right.ts'), typedUse(false));
    writeFileSync(join(project, 'wrong.ts'), typedUse(true));
    const flags = ['--noEmit', '--strict', '--skipLibCheck', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022'];
    const right = await exec([TSC, ...flags, 'right.ts'], project, state.env);
    expect(right.stdout + right.stderr).toBe('');
    expect(right.exitCode).toBe(0);
    const wrong = await exec([TSC, ...flags, 'wrong.ts'], project, state.env);
    expect(wrong.stdout).toContain("wrong.ts(4,14): error TS2322: Type 'number' is not assignable to type 'string'.");
    expect(wrong.exitCode).not.toBe(0);
  });

  test('a plugin package that ships only TypeScript fails under Node with one line that says to use Bun', async () => {
    const plugin = join(project, 'node_modules/ts-only-plugin');
    mkdirSync(plugin);
    writeFileSync(join(plugin, 'package.json'), JSON.stringify({ name: 'ts-only-plugin', type: 'module', exports: './index.ts' }));
    writeFileSync(join(plugin, 'index.ts'), "export const plugins: unknown[] = [];\n");
    const result = await exec(['npx', 'ddim', 'plugins', '--plugin', 'ts-only-plugin'], project, state.env);
    expect(result.stderr).toMatch(/^error: cannot load plugin "ts-only-plugin": .*index\.ts; this runtime cannot load that TypeScript: run ddim with Bun \(`bunx --bun ddim`\), or use a plugin built to JavaScript\n$/);
    expect(result.exitCode).not.toBe(0);
  });

  describe('and used from Deno through npm: specifiers', () => {
    test('`deno run -A npm:ddim-toolkit sample` runs the bin', async () => {
      rmSync(join(project, 'out'), { recursive: true, force: true });
      expectSampled(await exec([DENO, 'run', '-A', 'npm:ddim-toolkit', ...SAMPLE], project, state.env), project);
    });

    test('a module importing npm:ddim-toolkit type-checks (`deno check`) and samples the same first image', async () => {
      writeFileSync(join(project, 'deno-run.ts'), libraryRun('npm:ddim-toolkit'));
      const check = await exec([DENO, 'check', 'deno-run.ts'], project, state.env);
      expect(check.exitCode).toBe(0);
      const result = await execOk([DENO, 'run', '-A', 'deno-run.ts'], project, state.env);
      expect(result.stdout).toBe(state.reference[0]!);
    });
  });
});

describe(`installed with pnpm (${PNPM}), run by Node with no Bun on the PATH`, () => {
  let project = '';
  beforeAll(async () => {
    project = emptyProject('ddim-pnpm-', { 'pnpm-workspace.yaml': PNPM_WORKSPACE });
    cleanup.push(project);
    // No ONNXRUNTIME_NODE_INSTALL here: pnpm-workspace.yaml alone keeps the download from running.
    const { ONNXRUNTIME_NODE_INSTALL: _skip, ...env } = state.env;
    await execOk(['npx', '--yes', PNPM, 'add', state.tarball], project, env);
  });

  test('`pnpm exec ddim sample` writes the images the repository writes under Bun', async () => {
    expectSampled(await exec(['npx', '--yes', PNPM, 'exec', 'ddim', ...SAMPLE], project, state.env), project);
  });

  test('the library under Node samples the same first image', async () => {
    const result = await execOk(['node', '--input-type=module', '-e', libraryRun('ddim-toolkit')], project, state.env);
    expect(result.stdout).toBe(state.reference[0]!);
  });
});
