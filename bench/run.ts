/**
 * `bun run bench`: how close a sampling run comes to the bare cost of its network calls.
 * Every headline figure is a ratio of two measurements taken in this one run (absolute times
 * on shared machines are noise); the absolute numbers are printed for reference.
 * Writes bench/results.json. `bun run bench --only web` runs only the named sections.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  applyStep,
  createStepCoefficients,
  fillGaussian,
  samplingCoefficients,
} from '../index.ts';
import { type ConditionalBenchModel, guidanceCost, largeStandinModel, standinModel } from './guidance.ts';
import { type BenchModel, ROOT, bareModelRate, cifarModel, defaultModel, denoBinary, medianMs, pipelineRate, probe } from './measure.ts';

const results: Record<string, unknown> = { date: new Date().toISOString(), runtime: `bun ${Bun.version}`, cores: navigator.hardwareConcurrency };
const rows: string[][] = [];
const row = (...cells: (string | number)[]) => rows.push(cells.map(String));
const fmt = (x: number, digits = 1) => x.toFixed(digits);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** 1. Model-bound ratio: a full run ÷ bare session calls, same batch, alternated to share the noise. */
async function modelBound(model: BenchModel, batch: number, samples: number, steps: number, rounds: number) {
  const bare: number[] = [];
  const full: number[] = [];
  for (let i = 0; i < rounds; i++) {
    full.push(await pipelineRate(model, { batch, samples, steps }));
    bare.push(await bareModelRate(model, batch, (samples / batch) * steps));
  }
  const ratio = median(full) / median(bare);
  results[`modelBound:${model.name}`] = { batch, samples, steps, fullImagesStepsPerSec: full, bareImagesStepsPerSec: bare, ratio };
  row(`model-bound ratio, batch ${batch} [${model.name}]`, fmt(ratio, 3), `full ${fmt(median(full))} vs bare ${fmt(median(bare))} images·steps/s`, '>= 0.97');
}

/** 2. Step math: the fused DDIM update (and noise when eta > 0) per element, vs one model call. */
async function stepMath(model: BenchModel, batch: number) {
  const size = model.config.data.img_channels * model.config.data.img_size ** 2;
  const n = batch * size;
  const x = new Float32Array(n).map((_, i) => Math.sin(i));
  const out = new Float32Array(n).map((_, i) => Math.cos(i));
  const noise = new Float32Array(n);
  const c = samplingCoefficients(createStepCoefficients(), 'pred_eps', 0.5, 0.6, 1);
  const repeats = 200;
  const update = await medianMs(5, () => {
    for (let r = 0; r < repeats; r++) applyStep(c, x, out, batch, size, size, true, null);
  });
  const withNoise = await medianMs(5, () => {
    for (let r = 0; r < repeats; r++) {
      for (let s = 0; s < batch; s++) fillGaussian(noise, s * size, size, { seed: 1, stream: s, step: r });
      applyStep(c, x, out, batch, size, size, true, noise);
    }
  });
  const call = 1000 / ((await bareModelRate(model, batch, 10)) / batch); // ms per model call of `batch`
  const perStep = update / repeats;
  const perStepNoise = withNoise / repeats;
  results[`stepMath:${model.name}`] = { batch, nsPerElement: (perStep * 1e6) / n, nsPerElementWithNoise: (perStepNoise * 1e6) / n, modelCallMs: call };
  row(`step math, eta 0 [${model.name}]`, fmt(perStep / call, 4), `${fmt((perStep * 1e6) / n, 2)} ns/element; ${fmt(perStep, 3)} ms per step of ${batch} vs ${fmt(call, 1)} ms model call`, 'fraction of a call');
  row(`step math + noise, eta 1 [${model.name}]`, fmt(perStepNoise / call, 4), `${fmt((perStepNoise * 1e6) / n, 2)} ns/element`, 'fraction of a call');
}

/** 3. Batch scaling: images·steps/s of full runs at micro_batch 1, 4, 16, 64. */
async function batchScaling(model: BenchModel, steps: number) {
  const rates: Record<number, number> = {};
  for (const batch of [1, 4, 16, 64]) rates[batch] = await pipelineRate(model, { batch, samples: 64, steps });
  results[`batchScaling:${model.name}`] = rates;
  row(`batch scaling 64 vs 1 [${model.name}]`, fmt(rates[64]! / rates[1]!, 2), Object.entries(rates).map(([b, r]) => `mb ${b}: ${fmt(r)}`).join(', ') + ' images·steps/s', '');
}

/** 4. Memory: peak RSS of a 2,000-image run ÷ a 100-image run, each in a fresh process. */
function memory() {
  const small = probe('rss-probe.ts', ['100']);
  const large = probe('rss-probe.ts', ['2000']);
  const ratio = large.maxRssKb! / small.maxRssKb!;
  results.memory = { rss100Kb: small.maxRssKb, rss2000Kb: large.maxRssKb, ratio };
  row('peak RSS, 2,000 ÷ 100 images', fmt(ratio, 3), `${fmt(large.maxRssKb! / 1024)} MiB vs ${fmt(small.maxRssKb! / 1024)} MiB`, '<= 1.2');
}

/** 5. Cold start: process start to the first model call (median of 5 fresh processes). */
function coldStart() {
  const times = Array.from({ length: 5 }, () => probe('cold-start-probe.ts', [String(Date.now())]).firstCallMs!).sort((a, b) => a - b);
  const median = times[2]!;
  results.coldStart = { firstCallMs: times };
  row('cold start to first model call', `${fmt(median, 0)} ms`, `5 runs: ${times.map((t) => fmt(t, 0)).join(', ')} ms`, '< 1000 ms');
}

/** 6. Server: 16 concurrent one-image clients ÷ one CLI run of 16 images (bench/server.ts). */
function server() {
  const result = Bun.spawnSync(['bun', join(ROOT, 'bench/server.ts'), '--clients', '16', '--steps', '20', '--rounds', '3'], { cwd: ROOT, stdout: 'pipe', stderr: 'pipe' });
  const text = result.stdout.toString();
  const ratio = Number(/ratio server\/cli = ([\d.]+)/.exec(text)?.[1]);
  const rate = (label: string) => Number(new RegExp(`${label}:.*?([\\d.]+) images/s`).exec(text)?.[1]);
  if (result.exitCode !== 0 || !Number.isFinite(ratio)) {
    row('server, 16 clients ÷ CLI of 16', '-', `bench/server.ts failed: ${result.stderr.toString().trim().split('\n').at(-1)}`, '>= 0.8');
    return;
  }
  results.server = { ratio, serverImagesPerSec: rate('server'), cliImagesPerSec: rate('cli'), output: text };
  row('server, 16 clients ÷ CLI of 16', fmt(ratio, 3), `server ${fmt(rate('server'), 2)} vs CLI ${fmt(rate('cli'), 2)} images/s, 20 steps`, '>= 0.8');
}

/** What the web backend needs under Deno: the model and config files, the environment (yaml); no --allow-ffi. */
const DENO_WEB_PERMISSIONS = ['--allow-read', '--allow-env'];

/**
 * 7. Web backend: full runs (results kept in memory) on onnxruntime-web under Bun and under
 * Deno ÷ the same run on the native backend under Bun: same batch, samples and steps, each in
 * a fresh process (bench/web-probe.ts), in turns so that they share the machine's noise.
 */
function webBackend(batch: number, samples: number, steps: number, rounds: number) {
  const deno = denoBinary();
  const args = (backend: string) => [backend, String(batch), String(samples), String(steps)];
  const rates = { native: [] as number[], bun: [] as number[], deno: [] as number[] };
  let denoFailure = deno ? undefined : 'no Deno binary (node node_modules/deno/bin.cjs could not put it in place)';
  let providers: unknown;
  for (let i = 0; i < rounds; i++) {
    rates.native.push(probe('web-probe.ts', args('native')).imagesStepsPerSec!);
    const web = probe('web-probe.ts', args('web'));
    rates.bun.push(web.imagesStepsPerSec!);
    providers = web.providers;
    if (!deno || denoFailure) continue;
    try {
      rates.deno.push(probe('web-probe.ts', args('web'), { deno, permissions: DENO_WEB_PERMISSIONS }).imagesStepsPerSec!);
    } catch (error) {
      denoFailure = String(error).trim().split('\n').at(-1);
    }
  }
  const native = median(rates.native);
  results.webBackend = { batch, samples, steps, providers, denoPermissions: DENO_WEB_PERMISSIONS, imagesStepsPerSec: rates, denoFailure };
  const detail = (web: number) => `web ${fmt(web)} (${String(providers)}) vs native ${fmt(native)} images·steps/s, batch ${batch}, ${steps} steps`;
  const web = median(rates.bun);
  row(`web backend ÷ native, under Bun [${fashion.name}]`, fmt(web / native, 3), detail(web), '>= 0.75');
  if (denoFailure) row('web backend ÷ native, under Deno', '-', `skipped: ${denoFailure}`, '>= 0.75');
  else row(`web backend ÷ native, under Deno [${fashion.name}]`, fmt(median(rates.deno) / native, 3), detail(median(rates.deno)), '>= 0.75');
}

/** 8. Guidance: model time of guided (s = 3, 2B rows per call) ÷ unguided (s = 1) sampling of the same items. */
async function guidance(batch: number, rounds: number) {
  // Steps per model: enough that one run spends a second or so in the network.
  const models: [ConditionalBenchModel | string, number][] = [[standinModel(), 100], [largeStandinModel(), 10]];
  for (const [model, steps] of models) {
    if (typeof model === 'string') {
      row('guided ÷ unguided model time', '-', model, '<= 2.05');
      continue;
    }
    const cost = await guidanceCost(model, batch, steps, rounds);
    results[`guidance:${model.name}`] = cost;
    const ms = (xs: number[]) => fmt(median(xs), 0);
    const detail = `${ms(cost.guidedModelCpuMs)} vs ${ms(cost.unguidedModelCpuMs)} CPU ms in the model; wall-time ratio ${fmt(cost.wallRatio, 3)}`;
    row(`guided (s=3) ÷ unguided model CPU time, batch ${batch} [${model.name}]`, fmt(cost.ratio, 3), detail, '<= 2.05');
  }
}

/** `--only web,memory`: just those sections (names below); their results are merged into bench/results.json. */
const onlyIndex = process.argv.indexOf('--only');
const only = onlyIndex >= 0 ? (process.argv[onlyIndex + 1] ?? '').split(',') : undefined;
const SECTIONS = ['model-bound', 'step-math', 'batch-scaling', 'memory', 'cold-start', 'server', 'cifar', 'web', 'guidance'];
const unknown = only?.filter((name) => !SECTIONS.includes(name)) ?? [];
if (only && (only.length === 0 || unknown.length > 0)) {
  console.error(`--only: expected a comma-separated list of ${SECTIONS.join(', ')}; got "${only.join(',')}"`);
  process.exit(2);
}
const wanted = (name: string) => !only || only.includes(name);

const started = performance.now();
const fashion = defaultModel();
if (wanted('model-bound')) await modelBound(fashion, 16, 64, 20, 3);
if (wanted('step-math')) await stepMath(fashion, 16);
if (wanted('batch-scaling')) await batchScaling(fashion, 10);
if (wanted('memory')) memory();
if (wanted('cold-start')) coldStart();
if (wanted('server')) server();
if (wanted('cifar')) {
  const cifar = cifarModel();
  if (typeof cifar === 'string') {
    row('cifar10-size model', '-', cifar, '');
  } else {
    await modelBound(cifar, 16, 16, 3, 3);
    await stepMath(cifar, 16);
  }
}
// The native model-bound row's batch, samples and steps.
if (wanted('web')) webBackend(16, 64, 20, 3);
if (wanted('guidance')) await guidance(16, 5);
results.totalSeconds = (performance.now() - started) / 1000;

const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i]!.length), ['measure', 'value', 'detail', 'target'][i]!.length));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
console.log(line(['measure', 'value', 'detail', 'target']));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const r of rows) console.log(line(r));
console.log(`\n${fmt(results.totalSeconds as number, 0)} s in all; details in bench/results.json`);
const resultsFile = join(ROOT, 'bench/results.json');
const earlier = only && existsSync(resultsFile) ? (JSON.parse(readFileSync(resultsFile, 'utf8')) as Record<string, unknown>) : {};
writeFileSync(resultsFile, `${JSON.stringify({ ...earlier, ...results, ...(only ? { only } : {}) }, null, 2)}\n`);
