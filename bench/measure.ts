/** Shared pieces of the benchmarks: models under test, timing, and runs of the pipeline. */
import { existsSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type DdimConfig, configFromObject, createPipeline, fileSink, loadConfig, loadOnnxModel } from '../index.ts';

export const ROOT = resolve(import.meta.dir, '..');

export interface BenchModel {
  readonly name: string;
  readonly path: string;
  readonly config: DdimConfig;
}

/** The shipped default model. */
export function defaultModel(): BenchModel {
  const config = loadConfig(join(ROOT, 'models/ddpm_fashion_mnist.yaml'));
  return { name: 'fashion-mnist (1.6M)', path: config.sampler.weights!, config };
}

/** A random-weight network of the DDPM CIFAR-10 model's size, exported on first use. */
export function cifarModel(): BenchModel | string {
  const path = join(ROOT, 'bench/models/cifar10_unet.onnx');
  if (!existsSync(path)) {
    const exporter = Bun.spawnSync(['/usr/bin/python3', join(ROOT, 'tools/export_cifar_unet.py'), '--out', path], { stdout: 'inherit', stderr: 'pipe' });
    if (exporter.exitCode !== 0) {
      return `skipped: exporting it needs Debian's PyTorch (apt-get install python3-torch python3-onnx): ${exporter.stderr.toString().trim().split('\n').at(-1)}`;
    }
  }
  const config = configFromObject({ data: { img_size: 32, img_channels: 3 }, sampler: { weights: path } });
  return { name: 'cifar10-size (35.7M)', path, config };
}

/** Median of `repeats` timings of fn, in ms. */
export async function medianMs(repeats: number, fn: () => Promise<void> | void): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/**
 * images·steps/s of bare model calls: `calls` evaluations of a batch, nothing else. Like a
 * CLI run, it starts from a freshly created session (whose first call at a new batch size
 * pays onnxruntime's allocations), so the two are measured alike.
 */
export async function bareModelRate(model: BenchModel, batch: number, calls: number): Promise<number> {
  const net = await loadOnnxModel(model.path, { expect: { channels: model.config.data.img_channels, size: model.config.data.img_size } });
  const size = net.info.channels * net.info.height * net.info.width;
  const x = new Float32Array(batch * size).map((_, i) => Math.sin(i));
  const t = new Int32Array(batch).fill(500);
  const start = performance.now();
  for (let i = 0; i < calls; i++) await net.run(x, t, batch);
  const seconds = (performance.now() - start) / 1000;
  await net.dispose();
  return (batch * calls) / seconds;
}

/** images·steps/s of a full CLI-equivalent run: pipeline, step math, noise, PNG files. */
export async function pipelineRate(model: BenchModel, options: { batch: number; samples: number; steps: number; eta?: number }): Promise<number> {
  const base = model.config;
  const config: DdimConfig = {
    ...base,
    diffusion: { ...base.diffusion, params: { ...base.diffusion.params, skip_steps: options.steps, eta: options.eta ?? 0 } },
    sampler: { ...base.sampler, n_samples: options.samples, micro_batch: options.batch },
  };
  const pipeline = await createPipeline(config);
  const steps = (await pipeline.prepare(config)).timesteps.length;
  const dir = mkdtempSync(join(tmpdir(), 'ddim-bench-'));
  try {
    const summary = await pipeline.run({ sink: fileSink(dir) });
    return (options.samples * steps) / (summary.timings.totalMs / 1000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await pipeline.dispose();
  }
}

/**
 * The Deno binary (the devDependency): Bun does not run the deno package's postinstall, so its
 * Node wrapper puts the binary in place on first use, from the platform package (as
 * test/support/cli.ts does). undefined where that fails.
 */
export function denoBinary(): string | undefined {
  const deno = join(ROOT, 'node_modules/deno/deno');
  if (!existsSync(deno)) Bun.spawnSync(['node', join(ROOT, 'node_modules/deno/bin.cjs'), '--version'], { stdout: 'ignore', stderr: 'ignore' });
  return existsSync(deno) ? deno : undefined;
}

/** How a probe is started: by Bun, or by Deno with these permissions. */
export type ProbeRuntime = 'bun' | { readonly deno: string; readonly permissions: readonly string[] };

/** Run a probe script in a fresh process and parse the JSON it prints last. */
export function probe(script: string, args: readonly string[], runtime: ProbeRuntime = 'bun'): Record<string, number> {
  const file = join(ROOT, 'bench', script);
  const command = runtime === 'bun' ? ['bun', file] : [runtime.deno, 'run', '--no-prompt', ...runtime.permissions, file];
  const result = Bun.spawnSync([...command, ...args], { cwd: ROOT, stdout: 'pipe', stderr: 'pipe' });
  if (result.exitCode !== 0) throw new Error(`${script} failed: ${result.stderr.toString()}`);
  return JSON.parse(result.stdout.toString().trim().split('\n').at(-1)!);
}
