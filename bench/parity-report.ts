/**
 * Print how close each parity case comes to the reference, and how sensitive the
 * reconstruction fixture is to tiny changes of its latents.
 *   bun bench/parity-report.ts [../shared/parity]
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createPipeline, loadConfig, memorySink, parseNpy, runOptionOverrides } from '../core/index.ts';

const parity = resolve(process.argv[2] ?? join(import.meta.dir, '../../shared/parity'));

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

console.log('| case | max |ours − reference| |\n| --- | --- |');
for (const name of readdirSync(parity).filter((n) => existsSync(join(parity, n, 'case.json'))).sort()) {
  const dir = join(parity, name);
  const expected = parseNpy(readFileSync(join(dir, 'expected.npy')));
  const sink = await run(dir, caseValues(dir));
  console.log(`| ${name} | ${maxAbsDiff(sink.samples, expected.data).toExponential(1)} |`);
  if (!existsSync(join(dir, 'expected_latents.npy'))) continue;
  const latents = parseNpy(readFileSync(join(dir, 'expected_latents.npy')));
  console.log(`| ${name}: latents | ${maxAbsDiff(sink.latents!, latents.data).toExponential(1)} |`);
  const decode = { ...caseValues(dir), mode: 'sample', input_dir: undefined };
  // A fixed, seeded perturbation, so the figures repeat.
  let state = 12345;
  const uniform = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  for (const size of [0, 1e-6, 1e-5]) {
    const data = latents.data.map((v) => v + size * uniform());
    const back = await run(dir, decode, { shape: [...latents.shape], data });
    console.log(`| ${name}: sampling back from reference latents ± ${size} | ${maxAbsDiff(back.samples, expected.data).toExponential(1)} |`);
  }
}
