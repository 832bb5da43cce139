/**
 * Print how close each parity case comes to the reference, how sensitive the
 * reconstruction fixture is to tiny changes of its latents, and why: how many values of
 * each case's first sampling step have an unclamped x0, which moves √(1/ᾱ_t) times as fast as x.
 *   bun bench/parity-report.ts [test/fixtures/reference/parity]
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { alphasCumprod, createPipeline, loadConfig, loadOnnxModel, memorySink, parseNpy, runOptionOverrides } from '../index.ts';

const parity = resolve(process.argv[2] ?? join(import.meta.dir, '../test/fixtures/reference/parity'));

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

function caseValues(dir: string): Record<string, unknown> {
  const args = (JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as { args: string[] }).args;
  const values: Record<string, unknown> = { weights: join(parity, 'tiny_unet.onnx') };
  for (let i = 0; i < args.length; i += 2) {
    const name = args[i]!.replace(/^--/, '');
    const raw = args[i + 1]!;
    values[name] = name === 'noise' || name === 'input_dir' ? join(dir, raw) : Number.isNaN(Number(raw)) ? raw : Number(raw);
  }
  return values;
}

async function run(dir: string, values: Record<string, unknown>, noise?: { shape: number[]; data: Float32Array }) {
  const pipeline = await createPipeline(loadConfig(join(dir, 'config.yaml'), { overrides: runOptionOverrides(values) }));
  const sink = memorySink();
  await pipeline.run({ sink, noise });
  await pipeline.dispose();
  return sink;
}

/** Starting points moved by a fixed, seeded ±size, so the figures repeat. */
function perturbed(data: Float32Array, size: number): Float32Array {
  let state = 12345;
  const uniform = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  return data.map((v) => v + size * uniform());
}

console.log('| case | max |ours − reference| |\n| --- | --- |');
for (const name of readdirSync(parity).filter((n) => existsSync(join(parity, n, 'case.json'))).sort()) {
  const dir = join(parity, name);
  const expected = parseNpy(readFileSync(join(dir, 'expected.npy')));
  const values = caseValues(dir);
  const sink = await run(dir, values);
  console.log(`| ${name} | ${maxAbsDiff(sink.samples, expected.data).toExponential(1)} |`);
  if (typeof values.noise === 'string') {
    // The same perturbation as below, on this case's own starting noise, for comparison.
    const noise = parseNpy(readFileSync(values.noise));
    const moved = await run(dir, { ...values, noise: undefined }, { shape: [...noise.shape], data: perturbed(noise.data, 1e-6) });
    console.log(`| ${name}: from its noise ± 0.000001 | ${maxAbsDiff(moved.samples, expected.data).toExponential(1)} |`);
  }
  if (!existsSync(join(dir, 'expected_latents.npy'))) continue;
  const latents = parseNpy(readFileSync(join(dir, 'expected_latents.npy')));
  console.log(`| ${name}: latents | ${maxAbsDiff(sink.latents!, latents.data).toExponential(1)} |`);
  const decode = { ...values, mode: 'sample', input_dir: undefined };
  for (const size of [0, 1e-6, 1e-5]) {
    const back = await run(dir, decode, { shape: [...latents.shape], data: perturbed(latents.data, size) });
    console.log(`| ${name}: sampling back from reference latents ± ${size} | ${maxAbsDiff(back.samples, expected.data).toExponential(1)} |`);
  }
}

/** The share of x0 values inside [−1, 1] (not clamped) at the first sampling step from x_T. */
const model = await loadOnnxModel(join(parity, 'tiny_unet.onnx'));
const alphas = alphasCumprod({ totalSteps: 1000, betaSchedule: 'linear', betaStart: 0.0001, betaEnd: 0.02 });
console.log('\n| start of sampling | t | x0 unclamped | d x0 / d x |\n| --- | --- | --- | --- |');
for (const [name, file, t] of [
  ['reconstruction_uniform20: inverted latents', 'reconstruction_uniform20/expected_latents.npy', 950],
  ['sample_uniform10: Gaussian noise', 'sample_uniform10/noise.npy', 900],
] as const) {
  const x = parseNpy(readFileSync(join(parity, file)));
  const batch = x.shape[0]!;
  const out = await model.run(x.data, new Array(batch).fill(t), batch);
  const root = Math.sqrt(1 / alphas[t]!);
  const rootMinusOne = Math.sqrt(1 / alphas[t]! - 1);
  let inside = 0;
  for (let i = 0; i < x.data.length; i++) if (Math.abs(root * x.data[i]! - rootMinusOne * out[i]!) <= 1) inside++;
  console.log(`| ${name} | ${t} | ${((100 * inside) / x.data.length).toFixed(1)}% | ${root.toFixed(0)} |`);
}
await model.dispose();
