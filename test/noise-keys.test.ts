/**
 * Every noise draw of a run has a key of its own, (sample stream, timestep, domain): a mode
 * that drew, say, its forward noise from the step-noise domain would reuse the very values
 * its next step adds, which no image comparison notices. Each mode runs with eta > 0 on a
 * sampler that records the key of every draw it makes.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type DiffusionModel, type ModeContext, type NoiseStreams, DdimSampler, createPipeline, encodePng, loadConfig, loadOnnxModel, parseOverride } from '../index.ts';
import { samplerSettings } from '../core/execute-run.ts';
import { DEFAULT_CONFIG, DEFAULT_MODEL, tempDirSync } from './support/fixtures.ts';

/** A sampler that notes the key of each Gaussian draw it makes (the same rule as its own). */
class KeyRecordingSampler extends DdimSampler {
  readonly keys: string[] = [];

  #note(batch: number, index: number, noise: NoiseStreams, purpose: string): void {
    const t = this.timesteps[index]!;
    for (let s = 0; s < batch; s++) this.keys.push(`stream ${noise.streams[s]} t ${t} domain ${noise.domain} (${purpose})`);
  }

  override async step(x: Float32Array, batch: number, index: number, noise: NoiseStreams, x0Out: Float32Array | null = null): Promise<void> {
    // A step draws noise when it has any: eta > 0 and not the step from t = 0.
    if (this.settings.eta > 0 && this.timesteps[index]! > 0) this.#note(batch, index, noise, 'step');
    return super.step(x, batch, index, noise, x0Out);
  }

  override diffuse(x: Float32Array, batch: number, toIndex: number, noise: NoiseStreams, fromIndex = -1): void {
    this.#note(batch, toIndex, noise, 'forward');
    super.diffuse(x, batch, toIndex, noise, fromIndex);
  }
}

/** Keys drawn more than once, with the purposes that drew them. */
function repeatedKeys(keys: readonly string[]): string[] {
  const byKey = new Map<string, string[]>();
  for (const entry of keys) {
    const [key, purpose] = entry.split(' (');
    byKey.set(key!, [...(byKey.get(key!) ?? []), purpose!.slice(0, -1)]);
  }
  return [...byKey].filter(([, purposes]) => purposes.length > 1).map(([key, purposes]) => `${key}: ${purposes.join(' and ')}`);
}

let model: DiffusionModel;
let inputs = '';
let mask = '';

beforeAll(async () => {
  model = await loadOnnxModel(DEFAULT_MODEL, { expect: { channels: 1, size: 32 } });
  inputs = tempDirSync('ddim-noise-keys-');
  for (let i = 0; i < 3; i++) {
    const pixels = Uint8Array.from({ length: 32 * 32 }, (_, p) => (p * (i + 3) + 17 * i) % 256);
    writeFileSync(join(inputs, `${i}.png`), await encodePng(pixels, 32, 32, 1));
  }
  mask = join(tempDirSync('ddim-noise-keys-mask-'), 'mask.png');
  writeFileSync(mask, await encodePng(Uint8Array.from({ length: 32 * 32 }, (_, p) => (p % 32 < 16 ? 255 : 0)), 32, 32, 1));
});
afterAll(() => model.dispose());

/** Run `mode` (eta 0.5, 3 samples in micro-batches of 2) on the recording sampler; its keys. */
async function drawnKeys(mode: string, ...overrides: string[]): Promise<string[]> {
  const all = ['diffusion.params.eta=0.5', 'diffusion.params.skip_steps=8', 'sampler.n_samples=3', 'sampler.micro_batch=2',
    `sampler.mode=${mode}`, `sampler.input_dir=${inputs}`, `sampler.mask=${mask}`, ...overrides];
  const config = loadConfig(DEFAULT_CONFIG, { overrides: all.map(parseOverride) });
  const pipeline = await createPipeline(config, { model });
  const prepared = await pipeline.prepare();
  const sampler = new KeyRecordingSampler(model, samplerSettings(prepared));
  const context: ModeContext<unknown> = { ...prepared.planContext, sampler, initialNoise: prepared.initialNoise, isDone: () => false, signal: undefined };
  let items = 0;
  for await (const batch of prepared.mode.run(context, prepared.plan)) items += batch.count;
  expect(items).toBe(prepared.plan.count);
  return sampler.keys;
}

describe('noise keys', () => {
  const modes: [mode: string, why: string, overrides: string[]][] = [
    ['sdedit', 'its forward noise is not the noise its first step adds', []],
    ['ilvr', 'its reference noise at t_prev is not the noise the next step adds', []],
    ['inpaint', 'the known region, jump and step noise of every resampling round are apart', ['sampler.options.inpaint.resample=2']],
    ['sample', 'every step draws afresh', []],
  ];
  for (const [mode, why, overrides] of modes) {
    test(`${mode} draws every noise key once (eta 0.5): ${why}`, async () => {
      const keys = await drawnKeys(mode, ...overrides);
      expect(keys.length).toBeGreaterThan(0);
      expect(repeatedKeys(keys)).toEqual([]);
    });
  }
});
