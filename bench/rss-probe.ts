/** One sampling run in a fresh process; prints its peak RSS. bun bench/rss-probe.ts N_SAMPLES */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPipeline, fileSink, loadConfig, parseOverride } from '../index.ts';

const samples = Number(process.argv[2] ?? 100);
const config = loadConfig(join(import.meta.dir, '../models/ddpm_fashion_mnist.yaml'), {
  overrides: [`sampler.n_samples=${samples}`, 'sampler.micro_batch=100', 'diffusion.params.skip_steps=2'].map(parseOverride),
});
const dir = mkdtempSync(join(tmpdir(), 'ddim-rss-'));
const pipeline = await createPipeline(config);
await pipeline.run({ sink: fileSink(dir, { saveNpy: true }) });
await pipeline.dispose();
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify({ samples, maxRssKb: process.resourceUsage().maxRSS }));
