/**
 * The rule on hand-made ε, through the public API as the toolkit calls it: options validated as
 * a run validates them, then `combine` on one guided step. (The toolkit's own
 * test/guidance-rule.test.ts runs it through the CLI on a conditional network.)
 */
import { describe, expect, test } from 'bun:test';
import { type GuidanceStep, classifierFreeGuidance, pluginOptions } from 'ddim-toolkit';
import { type GuidanceWindowOptions, guidanceWindow } from './guidance-window.ts';

const COUNT = 2;
const SIZE = 4;

/** A step at timestep t of T = 1000 with s = 3; buffers one item longer than the call, as the sampler's may be. */
function stepAt(t: number, options: GuidanceWindowOptions): GuidanceStep<GuidanceWindowOptions> {
  const values = (COUNT + 1) * SIZE;
  return {
    options,
    scale: 3,
    direction: 'sample',
    index: 0,
    t,
    timesteps: [t],
    totalSteps: 1000,
    count: COUNT,
    size: SIZE,
    x: new Float32Array(values),
    epsCond: Float32Array.from({ length: values }, (_, j) => Math.sin(j + 1)),
    epsUncond: Float32Array.from({ length: values }, (_, j) => Math.cos(3 * j)),
    out: new Float32Array(values).fill(Number.NaN),
  };
}

const options = (raw: unknown) => pluginOptions(guidanceWindow, raw, 'sampler.options.guidance-window');
const used = (step: GuidanceStep<unknown>) => [...step.out.subarray(0, COUNT * SIZE)];

describe('guidance-window', () => {
  test('inside the window it is the original rule, outside it the conditional ε', () => {
    const window = options({ from: 0.25, to: 0.5 });
    for (const t of [250, 400, 499]) {
      const step = stepAt(t, window);
      guidanceWindow.combine(step);
      const reference = stepAt(t, window);
      classifierFreeGuidance(reference);
      expect(used(step)).toEqual(used(reference));
      expect(used(step)).not.toEqual([...step.epsCond.subarray(0, COUNT * SIZE)]);
    }
    for (const t of [0, 249, 500, 999]) {
      const step = stepAt(t, window);
      guidanceWindow.combine(step);
      expect(used(step)).toEqual([...step.epsCond.subarray(0, COUNT * SIZE)]);
    }
  });

  test('writes only the values of the call', () => {
    const step = stepAt(999, options({}));
    guidanceWindow.combine(step);
    expect([...step.out.subarray(COUNT * SIZE)].every(Number.isNaN)).toBe(true);
  });

  test('takes the whole chain by default, and refuses fractions outside [0, 1] or to < from, naming the key', () => {
    expect(options(undefined)).toEqual({ from: 0, to: 1 });
    expect(() => options({ from: -0.1 })).toThrow('sampler.options.guidance-window.from: from must be in [0, 1], got -0.1');
    expect(() => options({ to: 2 })).toThrow('sampler.options.guidance-window.to: to must be in [0, 1], got 2');
    expect(() => options({ from: 0.6, to: 0.2 })).toThrow('sampler.options.guidance-window.to: to must be >= from (0.6), got 0.2');
    expect(() => options({ form: 0.2 })).toThrow('sampler.options.guidance-window.form: unknown key');
  });
});
