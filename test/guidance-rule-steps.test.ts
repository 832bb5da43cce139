/**
 * What the sampler hands a guidance rule, on the conditional stand-in through the library API:
 * one call per guided step with that step's index, timestep and direction (sampling down,
 * DDIM inversion up) and ε_c and ε_u apart (they differ).
 */
import { describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { type GuidanceStep, configFromObject, createDefaultRegistry, createPipeline, defineGuidance, memorySink } from '../index.ts';
import { loadOnnxModel } from '../core/model/backends.ts';
import { ROOT, tempDirSync } from './support/fixtures.ts';
import { runCli } from './support/cli.ts';

const MODEL = join(ROOT, 'test/fixtures/conditional/standin.onnx');

interface Seen {
  readonly direction: string;
  readonly index: number;
  readonly t: number;
  readonly count: number;
  readonly options: unknown;
  readonly differs: boolean;
}

/** A rule that records each call and then applies the original's formula. */
function recordingRule(seen: Seen[]) {
  return defineGuidance({
    name: 'recording',
    combine(step: GuidanceStep<unknown>) {
      const n = step.count * step.size;
      let differs = false;
      for (let j = 0; j < n; j++) if (step.epsCond[j] !== step.epsUncond[j]) differs = true;
      seen.push({ direction: step.direction, index: step.index, t: step.t, count: step.count, options: step.options, differs });
      for (let j = 0; j < n; j++) step.out[j] = (1 - step.scale) * step.epsUncond[j]! + step.scale * step.epsCond[j]!;
    },
  });
}

async function run(sampler: Record<string, unknown>, seen: Seen[]) {
  const config = configFromObject({
    seed: 5,
    data: { img_size: 16, img_channels: 3, num_classes: 10 },
    diffusion: { params: { skip_steps: 4 } },
    sampler: { n_samples: 2, guidance_scale: 3, guidance: 'recording', class: 4, ...sampler },
  });
  const pipeline = await createPipeline(config, { registry: createDefaultRegistry().register(recordingRule(seen)), model: await loadOnnxModel(MODEL) });
  try {
    const sink = memorySink();
    await pipeline.run({ sink });
    return sink;
  } finally {
    await pipeline.model.dispose();
  }
}

describe('a guidance rule in the sampler', () => {
  test('is asked once per step, from the last timestep down, with the step and both outputs', async () => {
    const seen: Seen[] = [];
    const sink = await run({}, seen);
    const timesteps = sink.info!.timesteps;
    expect(timesteps.length).toBe(4);
    expect(seen.map((s) => [s.direction, s.index, s.t, s.count])).toEqual([3, 2, 1, 0].map((i) => ['sample', i, timesteps[i]!, 2]));
    expect(seen.every((s) => s.differs && s.options === undefined)).toBe(true);
  }, 60_000);

  test('sees DDIM inversion going up, then sampling coming down', async () => {
    const input = tempDirSync();
    const made = await runCli(['sample', '--weights', MODEL, '--class', '1', '--n_samples', '2', '--skip_steps', '4', '--quiet', '--save_dir', input]);
    expect(made.exitCode).toBe(0);
    const seen: Seen[] = [];
    await run({ mode: 'reconstruction', input_dir: input }, seen);
    expect(seen.map((s) => `${s.direction} ${s.index}`)).toEqual(['invert 0', 'invert 1', 'invert 2', 'sample 3', 'sample 2', 'sample 1', 'sample 0']);
  }, 60_000);
});
