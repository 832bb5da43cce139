/**
 * The guidance figure: the shipped class-conditional model's images of every class (one row
 * per class, in the dataset's order: T-shirt/top at the top, ankle boot at the bottom), with
 * classifier-free guidance scale 3 and 50 DDIM steps, by the toolkit itself.
 *   bun tools/class-figure.ts [OUT.png] [SCALE]
 */
import { join } from 'node:path';
import { createPipeline, loadConfig, memorySink, parseOverride } from '../index.ts';
import { writeGridFigure } from './figure-grid.ts';

const out = process.argv[2] ?? join(import.meta.dir, '../models/ddpm_fashion_mnist_cond_classes.png');
const scale = process.argv[3] ?? '3';
const PER_CLASS = 10;

const config = loadConfig(join(import.meta.dir, '../models/ddpm_fashion_mnist_cond.yaml'), {
  // The config's weights name the shipped model; WEIGHTS=other.onnx tries another export.
  overrides: [`sampler.n_samples_each_class=${PER_CLASS}`, `sampler.guidance_scale=${scale}`, 'diffusion.params.skip_steps=50', ...(process.env.WEIGHTS ? [`sampler.weights=${process.env.WEIGHTS}`] : [])].map(parseOverride),
});
const pipeline = await createPipeline(config);
const sink = memorySink();
const summary = await pipeline.run({ sink });
await pipeline.dispose();
console.log(`${summary.items} images at guidance scale ${scale}: ${(summary.timings.totalMs / 1000).toFixed(1)} s`);
const rows = Array.from({ length: sink.pngs.length / PER_CLASS }, (_, c) => sink.pngs.slice(c * PER_CLASS, (c + 1) * PER_CLASS));
await writeGridFigure(rows, out, { size: config.data.img_size, scale: 2, gap: 2 });
console.log(`wrote ${out}`);
