/**
 * Execution providers with the shipped model: WebGPU asked of the native backend (onnxruntime-node's
 * Dawn EP) and of the web backend (onnxruntime-web), falling back to the CPU where no GPU
 * answers, with one warning, recording what really ran, and computing the CPU run's bytes.
 */
import { describe, expect, test } from 'bun:test';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pipeline, createDefaultRegistry, loadConfig, loadWebModel, memorySink, parseNpy, parseOverride } from '../index.ts';
import { DENO, pngs, runCli } from './support/cli.ts';
import { DEFAULT_CONFIG, DEFAULT_MODEL, ROOT, tempDirSync } from './support/fixtures.ts';
import { gpuBranchProblems } from '../bench/gpu-branch.ts';

const RUN = ['sample', '--n_samples', '3', '--skip_steps', '5', '--save_npy'];
/** Where the GPU branches run for certain: a lent GPU machine, with `deno run ... bench/gpu-check.ts`. */
const GPU_CHECK = 'bench/gpu-check.ts';

interface Run {
  readonly dir: string;
  readonly stderr: string;
  readonly ms: number;
  readonly providers: string[];
}

async function sample(args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  const dir = tempDirSync();
  const start = performance.now();
  const result = await runCli([...RUN, '--save_dir', dir, ...args], { env });
  const ms = performance.now() - start;
  expect(result.exitCode).toBe(0);
  return { dir, stderr: result.stderr, ms, providers: JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')).model.providers };
}

/** Our warnings about providers on stderr (Dawn, where it loads, prints lines of its own). */
const warnings = (stderr: string) => stderr.split('\n').filter((line) => line.startsWith('warning: execution provider'));

function expectSameBytes(a: string, b: string): void {
  const [ours, reference] = [pngs(a), pngs(b)];
  expect(ours.size).toBe(3);
  expect([...ours.keys()].sort()).toEqual([...reference.keys()].sort());
  for (const [name, bytes] of reference) expect(ours.get(name)!.equals(bytes)).toBe(true);
  expect(readFileSync(join(a, 'samples.npy')).equals(readFileSync(join(b, 'samples.npy')))).toBe(true);
}

function samples(dir: string): Float32Array {
  return parseNpy(readFileSync(join(dir, 'samples.npy'))).data as Float32Array;
}

// Machines with onnxruntime-node's CUDA binaries installed really run CUDA (as in test/cli-errors.test.ts).
const hasCudaBinaries = existsSync(join(ROOT, 'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so'));

describe('webgpu on the native backend', () => {
  test('with no Vulkan driver it runs on the CPU: one warning, cpu in run.json, the CPU run\'s bytes, no time lost', async () => {
    const cpu = await sample(['--provider', 'cpu', '--quiet']);
    // A driver list naming no file: no Vulkan device, whatever this machine has.
    const webgpu = await sample(['--provider', 'webgpu', '--quiet'], { VK_DRIVER_FILES: join(tempDirSync(), 'none.json') });
    expect(webgpu.providers).toEqual(['cpu']);
    expect(warnings(webgpu.stderr)).toHaveLength(1);
    expect(warnings(webgpu.stderr)[0]).toMatch(/^warning: execution provider "webgpu" is not available \(.+\); using cpu$/);
    expect(webgpu.stderr).not.toContain('onnxruntime_src');
    expect(warnings(cpu.stderr)).toEqual([]);
    expectSameBytes(webgpu.dir, cpu.dir);
    // The failed attempt costs milliseconds (measured: ~20 ms in Dawn, ~0 when the loader is missing).
    expect(webgpu.ms).toBeLessThan(2 * cpu.ms + 2000);
  });

  test('as given, it runs where a GPU answers and falls back where none does', async () => {
    const [cpu, webgpu] = [await sample(['--provider', 'cpu', '--quiet']), await sample(['--provider', 'webgpu', '--quiet'])];
    if (webgpu.providers[0] === 'cpu') {
      console.log(`branch: native webgpu fell back to the CPU (no GPU answered): the fallback was checked, not the GPU branch (${GPU_CHECK} runs it on a GPU machine)`);
      expect(warnings(webgpu.stderr)).toHaveLength(1);
      expectSameBytes(webgpu.dir, cpu.dir);
    } else {
      console.log(`branch: native webgpu ran on ${webgpu.providers.join(', ')}: the GPU branch was checked`);
      expect(gpuBranchProblems({ providers: webgpu.providers, warnings: warnings(webgpu.stderr), samples: samples(webgpu.dir) }, samples(cpu.dir))).toEqual([]);
    }
  });

  test.skipIf(hasCudaBinaries)('[webgpu, cuda] where neither runs ends in the cuda error, after the webgpu warning', async () => {
    const result = await runCli(['sample', '--provider', 'webgpu', '--provider', 'cuda', '--save_dir', tempDirSync(), '--skip_steps', '2'], {
      env: { VK_DRIVER_FILES: '/nonexistent/none.json' },
    });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('warning: execution provider "webgpu" is not available');
    expect(result.stderr).toContain('error: execution provider "cuda" is not available');
  });
});

describe('webgpu on the web backend', () => {
  /** A run of the shipped model on a web model loaded with `providers`, results in memory. */
  async function webRun(providers: ['webgpu'] | ['cpu']) {
    const config = loadConfig(DEFAULT_CONFIG, { overrides: ['sampler.n_samples=2', 'diffusion.params.skip_steps=3'].map(parseOverride) });
    const notes: string[] = [];
    const model = await loadWebModel(readFileSync(DEFAULT_MODEL), { providers, expect: { channels: 1, size: 32 }, onWarning: (w) => notes.push(w) });
    const pipeline = new Pipeline({ config, registry: createDefaultRegistry(), model, ownsModel: true });
    const sink = memorySink();
    await pipeline.run({ sink });
    await pipeline.dispose();
    return { providers: model.info.providers, notes, samples: sink.samples };
  }

  test('under Bun (no navigator.gpu) it runs on WebAssembly with a warning, computing the wasm run\'s numbers', async () => {
    const [webgpu, wasm] = [await webRun(['webgpu']), await webRun(['cpu'])];
    expect(webgpu.providers).toEqual(['wasm']);
    expect(webgpu.notes).toEqual(['execution provider "webgpu" is not available (this runtime has no navigator.gpu); using wasm']);
    expect(wasm.providers).toEqual(['wasm']);
    expect(wasm.notes).toEqual([]);
    expect(webgpu.samples.length).toBe(2 * 32 * 32);
    expect(Buffer.from(webgpu.samples.buffer).equals(Buffer.from(wasm.samples.buffer))).toBe(true);
  });

  test('under Deno (navigator.gpu) it records what ran: webgpu where an adapter answers, else wasm with the reason', async () => {
    const script = `
      import { loadWebModel } from './core/model/onnx-web-model.ts';
      const notes = [];
      const model = await loadWebModel(Deno.readFileSync('models/ddpm_fashion_mnist.onnx'), { providers: ['webgpu'], onWarning: (w) => notes.push(w) });
      console.log(JSON.stringify({ gpu: typeof navigator.gpu, providers: model.info.providers, notes }));
      await model.dispose();`;
    const child = Bun.spawnSync([DENO, 'eval', '--no-prompt', script], { cwd: ROOT, stdout: 'pipe', stderr: 'pipe' });
    expect(child.stderr.toString()).toBe('');
    const report = JSON.parse(child.stdout.toString().trim().split('\n').at(-1)!);
    expect(report.gpu).toBe('object');
    if (report.providers[0] === 'wasm') {
      console.log(`branch: Deno's navigator.gpu had no adapter, the web backend fell back to wasm: the fallback was checked, not the GPU branch (${GPU_CHECK} runs it on a GPU machine)`);
      expect(report.notes).toHaveLength(1);
      expect(report.notes[0]).toMatch(/^execution provider "webgpu" is not available \(.+\); using wasm$/);
    } else {
      console.log(`branch: Deno's web backend ran on ${report.providers.join(', ')}: the GPU branch was checked`);
      expect(gpuBranchProblems({ providers: report.providers, warnings: report.notes })).toEqual([]);
    }
  });

  test('--backend web --provider webgpu through the CLI: a warning, wasm in run.json, the wasm run\'s bytes', async () => {
    const wasm = await sample(['--backend', 'web', '--quiet']);
    const webgpu = await sample(['--backend', 'web', '--provider', 'webgpu', '--quiet']);
    expect(wasm.providers).toEqual(['wasm']);
    expect(webgpu.providers).toEqual(['wasm']);
    expect(warnings(webgpu.stderr)).toEqual(['warning: execution provider "webgpu" is not available (this runtime has no navigator.gpu); using wasm']);
    expectSameBytes(webgpu.dir, wasm.dir);
  });
});
