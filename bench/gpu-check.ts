/**
 * The GPU check, for a machine with one (run once where a GPU is lent; Deno exposes
 * navigator.gpu, so both backends' WebGPU paths run): every sample/interpolate parity case on
 * each backend × provider, as max |ours − expected| and the providers that really ran, then the
 * shipped model's full-pipeline images·steps/s. Then the GPU branch of
 * test/execution-providers.test.ts, which a machine without a GPU never takes: the shipped model
 * asked for webgpu on each backend must run on webgpu, with no warning, within
 * PROVIDER_TOLERANCE of the CPU run (bench/gpu-branch.ts). Prints one JSON document and one
 * `gpu branch:` line per backend to stderr; exits 1 when the GPU branch fails (as it does on
 * a machine with no GPU: each line then says it fell back).
 *   deno run --allow-read --allow-env --allow-ffi --allow-sys bench/gpu-check.ts PARITY_DIR [BACKEND:PROVIDER]
 * Reconstruction is left out: its end-to-end figure is ill-conditioned by design (see parity/README).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig } from '../core/config/load-config.ts';
import { parseOverride } from '../core/config/overrides.ts';
import { runOptionOverrides } from '../core/config/run-options.ts';
import { parseNpy } from '../core/io/npy.ts';
import type { ExecutionProvider } from '../core/model/model.ts';
import { Pipeline } from '../core/pipeline.ts';
import { memorySink } from '../core/sinks/memory-sink.ts';
import { createDefaultRegistry } from '../plugins/index.ts';
import { loadBackendModel } from './backend-model.ts';
import { gpuBranchProblems } from './gpu-branch.ts';

const parity = resolve(process.argv[2] ?? 'test/fixtures/reference/parity');
const ROOT = new URL('..', import.meta.url).pathname;
const ALL_COMBOS: [backend: 'native' | 'web', providers: ExecutionProvider[]][] = [
  ['native', ['cpu']],
  ['native', ['webgpu']],
  ['web', ['cpu']],
  ['web', ['webgpu']],
];
/** One combination only, e.g. web:webgpu (a rerun of one row). */
const only = process.argv[3];
const COMBOS = ALL_COMBOS.filter(([backend, providers]) => !only || only === `${backend}:${providers.join(',')}`);

async function parityCase(name: string, backend: 'native' | 'web', providers: ExecutionProvider[]) {
  const dir = join(parity, name);
  const args = (JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as { args: string[] }).args;
  const values: Record<string, unknown> = { weights: join(parity, 'tiny_unet.onnx') };
  let noise;
  for (let i = 0; i < args.length; i += 2) {
    const key = args[i]!.replace(/^--/, '');
    const raw = args[i + 1]!;
    if (key === 'noise') noise = parseNpy(readFileSync(join(dir, raw)));
    else values[key] = Number.isNaN(Number(raw)) ? raw : Number(raw);
  }
  const config = loadConfig(join(dir, 'config.yaml'), { overrides: runOptionOverrides(values) });
  const warnings: string[] = [];
  const model = await loadBackendModel(config, backend, { providers, onWarning: (w) => warnings.push(w) });
  const pipeline = new Pipeline({ config, registry: createDefaultRegistry(), model, ownsModel: true });
  const sink = memorySink();
  await pipeline.run({ sink, noise });
  await pipeline.dispose();
  const expected = parseNpy(readFileSync(join(dir, 'expected.npy'))).data as Float32Array;
  let max = 0;
  for (let i = 0; i < expected.length; i++) max = Math.max(max, Math.abs(sink.samples[i]! - expected[i]!));
  return { case: name, backend, asked: providers, ran: model.info.providers, maxAbsDiff: max, warnings };
}

async function throughput(backend: 'native' | 'web', providers: ExecutionProvider[]) {
  const overrides = ['sampler.n_samples=64', 'sampler.micro_batch=16', 'diffusion.params.skip_steps=20'].map(parseOverride);
  const config = loadConfig(join(ROOT, 'models/ddpm_fashion_mnist.yaml'), { overrides });
  const warnings: string[] = [];
  const model = await loadBackendModel(config, backend, { providers, onWarning: (w) => warnings.push(w) });
  const pipeline = new Pipeline({ config, registry: createDefaultRegistry(), model, ownsModel: true });
  const rates: number[] = [];
  for (let i = 0; i < 3; i++) {
    const summary = await pipeline.run({ sink: memorySink() });
    rates.push((64 * 20) / (summary.timings.totalMs / 1000));
  }
  await pipeline.dispose();
  return { backend, asked: providers, ran: model.info.providers, imagesStepsPerSec: rates, warnings };
}

/** The shipped model's run of test/execution-providers.test.ts (3 samples, 5 steps) on one backend and provider. */
async function shippedRun(backend: 'native' | 'web', providers: ExecutionProvider[]) {
  const overrides = ['sampler.n_samples=3', 'diffusion.params.skip_steps=5'].map(parseOverride);
  const config = loadConfig(join(ROOT, 'models/ddpm_fashion_mnist.yaml'), { overrides });
  const warnings: string[] = [];
  const model = await loadBackendModel(config, backend, { providers, onWarning: (w) => warnings.push(w) });
  const pipeline = new Pipeline({ config, registry: createDefaultRegistry(), model, ownsModel: true });
  const sink = memorySink();
  await pipeline.run({ sink });
  const ran = [...model.info.providers];
  await pipeline.dispose();
  return { providers: ran, warnings, samples: Float32Array.from(sink.samples) };
}

/** The GPU branch of the execution-provider tests on one backend: its problems (none where it passes). */
async function gpuBranch(backend: 'native' | 'web') {
  try {
    const [cpu, webgpu] = [await shippedRun('native', ['cpu']), await shippedRun(backend, ['webgpu'])];
    return { backend, ran: webgpu.providers, problems: gpuBranchProblems(webgpu, cpu.samples) };
  } catch (error) {
    return { backend, ran: [], problems: [`failed: ${String(error)}`] };
  }
}

const cases = readdirSync(parity).filter((name) => /^(sample|interpolate)_/.test(name));
const results: { parity: unknown[]; throughput: unknown[]; gpuBranch: Awaited<ReturnType<typeof gpuBranch>>[] } = { parity: [], throughput: [], gpuBranch: [] };
for (const [backend, providers] of COMBOS) {
  for (const name of cases) results.parity.push(await parityCase(name, backend, providers).catch((error) => ({ case: name, backend, providers, error: String(error) })));
  results.throughput.push(await throughput(backend, providers).catch((error) => ({ backend, providers, error: String(error) })));
  if (providers.includes('webgpu')) results.gpuBranch.push(await gpuBranch(backend));
}
console.log(JSON.stringify(results, null, 1));
for (const { backend, ran, problems } of results.gpuBranch) {
  console.error(`gpu branch: ${backend} webgpu ran on ${ran.join(', ') || 'nothing'}: ${problems.length === 0 ? 'pass' : `FAIL (${problems.join('; ')})`}`);
}
if (results.gpuBranch.some(({ problems }) => problems.length > 0)) process.exitCode = 1;
