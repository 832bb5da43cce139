import { expect, test } from 'bun:test';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config/load-config.ts';
import { runOptionOverrides } from '../config/run-options.ts';
import { createPipeline, type RunInfo } from '../pipeline.ts';
import { runFingerprint } from './file-sink.ts';

const SHIPPED_CONFIG = fileURLToPath(new URL('../../models/ddpm_fashion_mnist.yaml', import.meta.url));

test('a run without a noise file or input images keeps the fingerprint earlier versions wrote', async () => {
  // `bun run ddim sample --n_samples 2000 --skip_steps 1000 --micro_batch 50`: the results
  // table's 1000-step run, whose run.json (written before input files were fingerprinted)
  // recorded 025272f3811d5c4d; that folder must still resume.
  const config = loadConfig(SHIPPED_CONFIG, { overrides: runOptionOverrides({ n_samples: 2000, skip_steps: 1000, micro_batch: 50 }) });
  const pipeline = await createPipeline(config);
  try {
    const info: RunInfo = {
      config,
      mode: 'sample',
      startsFrom: 'noise',
      plan: { count: 2000, itemShape: [1, 32, 32], framesPerItem: 1, latents: false },
      timesteps: pipeline.timesteps(config),
      seed: config.seed,
      model: { path: config.sampler.weights!, sha256: pipeline.modelSha256, providers: ['cpu'] },
      shape: { channels: 1, height: 32, width: 32 },
      picture: { width: 32, height: 32, channels: 1 },
    };
    expect(runFingerprint(info, 'anywhere')).toBe('025272f3811d5c4d');
    // and it does depend on what decides the pixels
    expect(runFingerprint({ ...info, seed: 1 }, 'anywhere')).not.toBe('025272f3811d5c4d');
  } finally {
    await pipeline.dispose();
  }
});
