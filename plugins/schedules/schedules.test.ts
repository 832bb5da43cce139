import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { diffusionChain } from '../../core/math/betas.ts';
import type { ScheduleContext } from '../../core/plugin.ts';
import { PARITY } from '../../test/support/paths.ts';
import { linspace } from './linspace/index.ts';
import { quad } from './quad/index.ts';
import { trailing } from './trailing/index.ts';
import { uniform } from './uniform/index.ts';

const reference = JSON.parse(readFileSync(join(PARITY, 'timesteps.json'), 'utf8')) as Record<string, number[]>;
const schedules = { uniform, quad };

/** What the toolkit asks a built-in schedule: T, skip_steps, no options, and the linear chain (which they do not read). */
const ask = (totalSteps: number, steps: number | undefined): ScheduleContext<undefined> => ({
  totalSteps,
  steps,
  options: undefined,
  ...diffusionChain({ totalSteps, betaSchedule: 'linear', betaStart: 0.0001, betaEnd: 0.02 }),
});

describe('uniform and quad', () => {
  test(`match every reference sequence in timesteps.json (${Object.keys(reference).length} of them)`, () => {
    let checked = 0;
    for (const [key, expected] of Object.entries(reference)) {
      const [name, total, steps] = key.split('/');
      const schedule = schedules[name as keyof typeof schedules];
      expect(schedule).toBeDefined();
      expect(schedule.timesteps(ask(Number(total), Number(steps)))).toEqual(expected);
      checked++;
    }
    expect(checked).toBeGreaterThan(500);
  });

  test('uniform 30 of 1000 steps by 33 and so yields 31 entries', () => {
    const sequence = uniform.timesteps(ask(1000, 30));
    expect(sequence.length).toBe(31);
    expect(sequence.at(-1)).toBe(990);
  });

  test('every schedule visits every timestep when no skip_steps is given', () => {
    for (const schedule of [uniform, quad, linspace, trailing]) {
      expect(schedule.timesteps(ask(7, undefined))).toEqual([0, 1, 2, 3, 4, 5, 6]);
    }
  });

  test('asking for more steps than T fails with the limit', () => {
    expect(() => uniform.timesteps(ask(100, 101))).toThrow('at most total_steps (100)');
  });
});

describe('linspace', () => {
  test('includes both ends, rounded half to even like numpy', () => {
    expect(linspace.timesteps(ask(1000, 4))).toEqual([0, 333, 666, 999]);
    // linspace(0, 9, 3) = [0, 4.5, 9]: numpy rounds 4.5 to 4.
    expect(linspace.timesteps(ask(10, 3))).toEqual([0, 4, 9]);
  });
});

describe('trailing', () => {
  test('ends at T − 1 and steps evenly', () => {
    expect(trailing.timesteps(ask(1000, 10))).toEqual([99, 199, 299, 399, 499, 599, 699, 799, 899, 999]);
    expect(trailing.timesteps(ask(1000, 3))).toEqual([332, 666, 999]);
  });
});
