/**
 * The core pipeline imports no Bun-only API: one parity case through the library API
 * under Node (TypeScript via tsx) and under Deno 2, both installed from npm. The CLI's own
 * runs under each runtime are test/cli-runtimes.test.ts.
 */
import { describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { PARITY, ROOT } from './support/fixtures.ts';

const SCRIPT = join(ROOT, 'test/support/parity-case.ts');
const CASE = join(PARITY, 'sample_quad20');

async function runScript(command: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = Bun.spawn(command, { cwd: ROOT, stdout: 'pipe', stderr: 'pipe', env: { ...process.env, NO_COLOR: '1' } });
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  return { code, stdout, stderr };
}

/** Every non-test source file of the fronts (cli.ts, cli/, server.ts, server/) and of core/ and plugins/. */
async function sourceFiles(): Promise<string[]> {
  const files = ['cli.ts', 'server.ts'];
  for (const pattern of ['cli/**/*.ts', 'server/**/*.ts', 'core/**/*.ts', 'plugins/**/*.ts']) {
    for await (const file of new Bun.Glob(pattern).scan(ROOT)) if (!file.endsWith('.test.ts')) files.push(file);
  }
  expect(files.length).toBeGreaterThan(50);
  return files.sort();
}

const runtimes: Record<string, string[]> = {
  node: ['node', '--import', 'tsx', SCRIPT, CASE],
  deno: [join(ROOT, 'node_modules/.bin/deno'), 'run', '--allow-read', '--allow-env', '--allow-ffi', '--allow-sys', SCRIPT, CASE],
  bun: ['bun', SCRIPT, CASE],
  // --allow-ffi still: PNGs are encoded with sharp (a native addon); the model runs in WebAssembly.
  'deno, web backend': [join(ROOT, 'node_modules/.bin/deno'), 'run', '--allow-read', '--allow-env', '--allow-ffi', '--allow-sys', SCRIPT, CASE, 'web'],
  'bun, web backend': ['bun', SCRIPT, CASE, 'web'],
};

describe('portability of the core pipeline', () => {
  for (const [runtime, command] of Object.entries(runtimes)) {
    test(`${runtime} reproduces a parity case through the library API`, async () => {
      const result = await runScript(command);
      expect(result.stderr).not.toContain('Error');
      expect(result.code).toBe(0);
      const report = JSON.parse(result.stdout.trim().split('\n').at(-1)!);
      expect(report.timestepsMatch).toBe(true);
      expect(report.values).toBe(report.expected);
      expect(report.maxDiff).toBeLessThanOrEqual(1e-3);
      expect(report.providers).toEqual(runtime.endsWith('web backend') ? ['wasm'] : ['cpu']);
    });
  }

  test('one module per backend owns its onnxruntime package: nothing else imports them', async () => {
    const importers = new Set<string>();
    for (const file of await sourceFiles()) {
      const text = await Bun.file(join(ROOT, file)).text();
      // Static and dynamic imports, subpaths included (onnxruntime-web/webgpu).
      for (const match of text.matchAll(/(?:from |import\()['"](onnxruntime-[\w-]+(?:\/[\w-]+)?)['"]/g)) importers.add(`${file}: ${match[1]}`);
    }
    expect([...importers].sort()).toEqual([
      'core/model/onnx-common.ts: onnxruntime-common', // types only
      'core/model/onnx-session.ts: onnxruntime-node',
      'core/model/onnx-web-model.ts: onnxruntime-web',
      'core/model/onnx-web-model.ts: onnxruntime-web/webgpu', // loaded only for WebGPU under Bun and Deno
    ]);
  });

  test('only the Bun server adapter uses Bun APIs: the CLI, core, plugins and the app are runtime-neutral', async () => {
    const users: string[] = [];
    for (const file of await sourceFiles()) {
      // Code only: doc comments may show how an adapter calls Bun.serve, and template literals hold
      // text the toolkit writes for others (the tests `ddim plugins new` writes run under bun test).
      const code = (await Bun.file(join(ROOT, file)).text()).replace(/`(?:\\[\s\S]|[^`\\])*`/g, '``')
        .split('\n').filter((line) => !/^\s*(\*|\/\/|\/\*)/.test(line)).join('\n');
      if (/\bBun\.|from ['"]bun['"]|from ['"]bun:/.test(code)) users.push(file);
    }
    expect(users).toEqual(['server/adapters/bun.ts']);
  });
});
