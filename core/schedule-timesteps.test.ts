import { describe, expect, test } from 'bun:test';
import { DEFAULT_CONFIG } from '../test/support/paths.ts';
import { loadConfig } from './config/load-config.ts';
import { parseOverride } from './config/overrides.ts';
import { alphasCumprod, betaSchedule, diffusionChain } from './math/betas.ts';
import { scheduleTimesteps } from './prepare-run.ts';
import { defineSchedule, type ScheduleContext } from './plugin.ts';
import { Registry } from './registry.ts';
import { betaParams } from './schedule-timesteps.ts';

const config = (...overrides: string[]) => loadConfig(DEFAULT_CONFIG, { overrides: overrides.map((o) => parseOverride(o)) });

describe('a schedule is asked with the model chain', () => {
  test("gets T, skip_steps, its options, and the config's own β and ᾱ (here a cosine chain)", () => {
    const seen: ScheduleContext<unknown>[] = [];
    const spy = defineSchedule({ name: 'spy', timesteps: (context) => (seen.push(context), [0, context.totalSteps - 1]) });
    const cosine = config('diffusion.params.skip_type=spy', 'diffusion.params.beta_schedule=cosine', 'diffusion.params.skip_steps=7');
    expect(scheduleTimesteps(new Registry().register(spy), cosine)).toEqual([0, 999]);
    const [context] = seen;
    expect(context).toMatchObject({ totalSteps: 1000, steps: 7 });
    expect(context!.options).toBeUndefined();
    const params = betaParams(cosine);
    expect(Array.from(context!.betas)).toEqual([...betaSchedule(params)]);
    expect(Array.from(context!.alphasCumprod)).toEqual([...alphasCumprod(params)]);
    // Not the linear chain of the shipped config: the schedule sees the model it runs with.
    expect(context!.alphasCumprod[500]).not.toBe(alphasCumprod({ ...params, betaSchedule: 'linear' })[500]);
  });

  test('gets copies: a schedule that writes into ᾱ does not change the chain the engine uses', () => {
    const vandal = defineSchedule({
      name: 'vandal',
      timesteps: ({ alphasCumprod: alphas, betas }) => {
        (alphas as Float32Array).fill(0);
        (betas as Float64Array).fill(0);
        return [0];
      },
    });
    const linear = config('diffusion.params.skip_type=vandal');
    const chain = diffusionChain(betaParams(linear));
    const before = chain.alphasCumprod.slice();
    scheduleTimesteps(new Registry().register(vandal), linear, chain);
    expect(chain.alphasCumprod).toEqual(before);
    expect(chain.betas[0]).toBe(0.0001);
  });
});
