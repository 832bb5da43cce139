/**
 * The README's figure: the same 10 seeds sampled with 10, 50, 100 and 1000 DDIM steps
 * (top to bottom), from the shipped model, by the toolkit itself.
 *   bun tools/steps-figure.ts [OUT.png]
 */
import { join } from 'node:path';
import { createPipeline, loadConfig, memorySink, parseOverride } from '../index.ts';
import { writeGridFigure } from './figure-grid.ts';

const out = process.argv[2] ?? join(import.meta.dir, '../models/ddpm_fashion_mnist_steps.png');
const STEPS = [10, 50, 100, 1000];
const COUNT = 10;
const SIZE = 32;
const GAP = 2;
const SCALE = 2;

const rows: Uint8Array[][] = [];
for (const steps of STEPS) {
  const config = loadConfig(join(import.meta.dir, '../models/ddpm_fashion_mnist.yaml'), {
    overrides: [`sampler.n_samples=${COUNT}`, `diffusion.params.skip_steps=${steps}`].map(parseOverride),
  });
  const pipeline = await createPipeline(config);
  const sink = memorySink();
  const summary = await pipeline.run({ sink });
  await pipeline.dispose();
  console.log(`${steps} steps: ${(summary.timings.totalMs / 1000).toFixed(1)} s`);
  rows.push(sink.pngs);
}

await writeGridFigure(rows, out, { size: SIZE, scale: SCALE, gap: GAP });
console.log(`wrote ${out}`);
