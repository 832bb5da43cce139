import { describe, expect, test } from 'bun:test';
import { fileURLToPath } from 'node:url';
import { Registry, loadConfig, scheduleTimesteps } from 'ddim-toolkit';
import { stride } from './stride.ts';

const SHIPPED = fileURLToPath(import.meta.resolve('ddim-toolkit/models/ddpm_fashion_mnist.yaml'));

/** The timesteps the toolkit asks of the schedule for these options (as a config gives them) over T steps. */
function timesteps(options: unknown, totalSteps = 1000): readonly number[] {
  const config = loadConfig(SHIPPED, {
    overrides: [
      { path: 'diffusion.params.total_steps', value: totalSteps, origin: 'test' },
      { path: 'diffusion.params.skip_type', value: 'stride', origin: 'test' },
      ...(options === undefined ? [] : [{ path: 'sampler.options.stride', value: options, origin: 'test' }]),
    ],
  });
  return scheduleTimesteps(new Registry().register(stride), config);
}

describe('stride', () => {
  test('counts down from T-1 in steps of `stride` and returns them ascending', () => {
    expect(timesteps({ stride: 250 })).toEqual([249, 499, 749, 999]);
    expect(timesteps({ stride: 4 }, 10)).toEqual([1, 5, 9]);
    expect(timesteps({ stride: 3 }, 10)).toEqual([0, 3, 6, 9]);
  });

  test('takes a stride of 20 by default: 50 steps over 1000, the last one T-1', () => {
    const steps = timesteps(undefined);
    expect(steps.length).toBe(50);
    expect([steps[0], steps.at(-1)]).toEqual([19, 999]);
  });

  test('visits every timestep at stride 1, and only T-1 at a stride past T', () => {
    expect(timesteps({ stride: 1 }, 6)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(timesteps({ stride: 5000 })).toEqual([999]);
  });

  test('refuses a stride that is not an integer >= 1, and unknown keys, naming the path', () => {
    expect(() => timesteps({ stride: 0 })).toThrow('sampler.options.stride.stride: stride must be >= 1, got 0');
    expect(() => timesteps({ stride: 2.5 })).toThrow('sampler.options.stride.stride: stride must be an integer, got 2.5');
    expect(() => timesteps({ stride: '5' })).toThrow('sampler.options.stride.stride: expected number, got "5"');
    expect(() => timesteps({ strid: 5 })).toThrow('sampler.options.stride.strid: unknown key; valid keys: stride');
  });
});
