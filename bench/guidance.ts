/**
 * What classifier-free guidance costs: the model time of guided sampling (s = 3: each item's
 * rows with and without its class in one call of 2B rows) ÷ that of unguided conditional
 * sampling (s = 1: B rows) of the same items, steps and micro-batch. Model time is the
 * process's CPU time (user + system, all threads) inside the network's calls, summed: on a
 * shared machine, wall time also counts the other processes' turns (on 2 busy cores we saw
 * single rounds from 0.98 to 2.7), CPU time only this one's work; wall times are kept too.
 * One onnxruntime thread; rounds alternate the two, and the figure is the median of the
 * rounds' ratios (each of two runs taken back to back).
 */
import { join, resolve } from 'node:path';
import { type DiffusionModel, configFromObject, createPipeline, loadOnnxModel, memorySink } from '../index.ts';
const ROOT = resolve(import.meta.dir, '..');

export interface ConditionalBenchModel {
  readonly name: string;
  readonly path: string;
}

/** The committed test stand-in (3×16×16), always there. */
export function standinModel(): ConditionalBenchModel {
  return { name: 'conditional stand-in 3×16×16', path: join(ROOT, 'test/fixtures/conditional/standin.onnx') };
}

/** A larger stand-in (3×32×32, dim 64), exported on first use; a string says why it is skipped. */
export function largeStandinModel(): ConditionalBenchModel | string {
  const path = join(ROOT, 'bench/models/cond_standin_32.onnx');
  if (!Bun.file(path).size) {
    const exporter = Bun.spawnSync(['/usr/bin/python3', join(ROOT, 'tools/export_standin_bench.py'), '--out', path], { stdout: 'ignore', stderr: 'pipe' });
    if (exporter.exitCode !== 0) return `skipped: exporting it needs Debian's PyTorch: ${exporter.stderr.toString().trim().split('\n').at(-1)}`;
  }
  return { name: 'conditional stand-in 3×32×32', path };
}

interface Spent {
  cpuMs: number;
  wallMs: number;
}

/** The model, timing every call into `spent`. */
function timed(model: DiffusionModel, spent: Spent): DiffusionModel {
  return {
    info: model.info,
    async run(x, t, batch, labels) {
      const started = performance.now();
      const cpu = process.cpuUsage();
      const out = await model.run(x, t, batch, labels);
      const used = process.cpuUsage(cpu);
      spent.cpuMs += (used.user + used.system) / 1000;
      spent.wallMs += performance.now() - started;
      return out;
    },
    dispose: () => model.dispose(),
  };
}

async function modelMs(inner: DiffusionModel, scale: number, batch: number, steps: number): Promise<Spent> {
  const { channels, height } = inner.info;
  const config = configFromObject({
    data: { img_size: height, img_channels: channels, num_classes: 10 },
    diffusion: { params: { skip_steps: steps } },
    sampler: { n_samples: batch, micro_batch: batch, class: 3, guidance_scale: scale },
  });
  const spent = { cpuMs: 0, wallMs: 0 };
  const pipeline = await createPipeline(config, { model: timed(inner, spent) });
  await pipeline.run({ sink: memorySink() });
  return spent;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Median model ms of guided and unguided runs of the same items, and their ratio. */
export async function guidanceCost(model: ConditionalBenchModel, batch: number, steps: number, rounds: number) {
  const inner = await loadOnnxModel(model.path, { intraOpThreads: 1 });
  // One run of each first: onnxruntime's first calls at a new batch size pay its allocations.
  await modelMs(inner, 3, batch, 2);
  await modelMs(inner, 1, batch, 2);
  const guided: Spent[] = [];
  const unguided: Spent[] = [];
  for (let i = 0; i < rounds; i++) {
    guided.push(await modelMs(inner, 3, batch, steps));
    unguided.push(await modelMs(inner, 1, batch, steps));
  }
  await inner.dispose();
  const ratios = guided.map((spent, i) => spent.cpuMs / unguided[i]!.cpuMs);
  const wallRatios = guided.map((spent, i) => spent.wallMs / unguided[i]!.wallMs);
  return {
    batch,
    steps,
    threads: 1,
    guidedModelCpuMs: guided.map((s) => s.cpuMs),
    unguidedModelCpuMs: unguided.map((s) => s.cpuMs),
    ratios,
    ratio: median(ratios),
    wallRatios,
    wallRatio: median(wallRatios),
  };
}
