/**
 * Run one parity case through the library API and print {"case", "maxDiff", ...} as JSON.
 * Runtime-neutral on purpose: the portability test runs it under Node and Deno.
 *   <runtime> test/support/parity-case.ts test/fixtures/reference/parity/sample_uniform10 [native|web]
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createPipeline, loadConfig, memorySink, parseNpy, runOptionOverrides } from '../../index.ts';

const caseDir = resolve(process.argv[2] ?? '');
const spec = JSON.parse(readFileSync(join(caseDir, 'case.json'), 'utf8')) as { args: string[]; timesteps: number[] };
const values: Record<string, unknown> = { weights: join(caseDir, '..', 'tiny_unet.onnx'), backend: process.argv[3] ?? 'native' };
for (let i = 0; i < spec.args.length; i += 2) {
  const name = spec.args[i]!.replace(/^--/, '');
  const raw = spec.args[i + 1]!;
  values[name] = name === 'noise' || name === 'input_dir' ? join(caseDir, raw) : Number.isNaN(Number(raw)) ? raw : Number(raw);
}
const config = loadConfig(join(caseDir, 'config.yaml'), { overrides: runOptionOverrides(values) });
const pipeline = await createPipeline(config);
const sink = memorySink();
await pipeline.run({ sink });
await pipeline.dispose();
const expected = parseNpy(readFileSync(join(caseDir, 'expected.npy')));
let maxDiff = 0;
for (let i = 0; i < expected.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(expected.data[i]! - sink.samples[i]!));
const timestepsMatch = JSON.stringify(sink.info?.timesteps) === JSON.stringify(spec.timesteps);
console.log(JSON.stringify({ case: caseDir, backend: values.backend, providers: sink.info?.model.providers, maxDiff, timestepsMatch, values: sink.samples.length, expected: expected.data.length }));
