/**
 * The current original code base's respace_type schedules (diffusions/schedule.py,
 * get_respaced_seq): integer ones written out from their definition here, the float32
 * ones checked against the sequences PyTorch computed (test/fixtures/reference/respace-timesteps.json,
 * made by tools/respace_timesteps.py).
 */
import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RESPACE_SCHEDULES } from '../../core/config/respace-names.ts';
import { diffusionChain } from '../../core/math/betas.ts';
import type { ScheduleContext } from '../../core/plugin.ts';
import { REFERENCE } from '../../test/support/paths.ts';
import { createDefaultRegistry } from '../index.ts';

const registry = createDefaultRegistry();
const chains = new Map<number, ReturnType<typeof diffusionChain>>();
/** What the toolkit asks a schedule: T, N, no options, and the linear chain (which these do not read). */
const ask = (totalSteps: number, steps: number): ScheduleContext<undefined> => {
  if (!chains.has(totalSteps)) chains.set(totalSteps, diffusionChain({ totalSteps, betaSchedule: 'linear', betaStart: 0.0001, betaEnd: 0.02 }));
  return { totalSteps, steps, options: undefined, ...chains.get(totalSteps)! };
};
const timesteps = (type: string, totalSteps: number, steps: number) => registry.get('schedule', RESPACE_SCHEDULES[type]!, 'respace_type').timesteps(ask(totalSteps, steps));
const byTorch = JSON.parse(readFileSync(join(REFERENCE, 'respace-timesteps.json'), 'utf8')) as Record<string, number[] | string>;

describe('respace_type', () => {
  test('uniform and uniform-leading: 0, s, 2s, … below T with s = T // N', () => {
    for (const type of ['uniform', 'uniform-leading']) {
      expect(timesteps(type, 1000, 10)).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900]);
      // 1000 // 3 = 333: four entries, the last 999.
      expect(timesteps(type, 1000, 3)).toEqual([0, 333, 666, 999]);
      expect(timesteps(type, 200, 7)).toEqual([0, 28, 56, 84, 112, 140, 168, 196]);
    }
  });

  test('uniform-leading for every N of T = 100 and 1000: i · (T // N) for i = 0 … ⌈T / (T // N)⌉ − 1', () => {
    for (const total of [100, 1000]) {
      for (let steps = 1; steps <= total; steps++) {
        const stride = Math.floor(total / steps);
        const expected = Array.from({ length: Math.ceil(total / stride) }, (_, i) => i * stride);
        expect(timesteps('uniform-leading', total, steps)).toEqual(expected);
      }
    }
  });

  test('uniform-linspace and quad follow their definitions in exact arithmetic, off by float32 rounding only at integers', () => {
    // Exact values: i·(T − 1)/(N − 1) and (i·√(0.8T)/(N − 1))² = 0.8T·i²/(N − 1)². float32 may
    // put a value that is an integer (or within 1e-3 of one) just below it; elsewhere floor holds.
    const definitions = {
      'uniform-linspace': (T: number, N: number, i: number) => (N === 1 ? 0 : (i * (T - 1)) / (N - 1)),
      quad: (T: number, N: number, i: number) => (N === 1 ? 0 : (0.8 * T * i * i) / ((N - 1) * (N - 1))),
    };
    for (const [type, exact] of Object.entries(definitions)) {
      for (const total of [100, 1000]) {
        for (let steps = 1; steps <= Math.min(total, 300); steps++) {
          const got = timesteps(type, total, steps);
          expect(got.length).toBe(steps);
          got.forEach((t, i) => {
            const value = exact(total, steps, i);
            const nearInteger = Math.abs(value - Math.round(value)) < 1e-3;
            if (nearInteger) expect([Math.round(value) - 1, Math.round(value)]).toContain(t);
            else expect(t).toBe(Math.floor(value));
          });
        }
      }
    }
  });

  test('uniform-trailing: T − 1, T − 1 − s, … down to 0, ascending, with s = T // N', () => {
    expect(timesteps('uniform-trailing', 1000, 10)).toEqual([99, 199, 299, 399, 499, 599, 699, 799, 899, 999]);
    expect(timesteps('uniform-trailing', 1000, 3)).toEqual([0, 333, 666, 999]);
    expect(timesteps('uniform-trailing', 200, 7)).toEqual([3, 31, 59, 87, 115, 143, 171, 199]);
    for (let steps = 1; steps <= 100; steps++) {
      const stride = Math.floor(100 / steps);
      const count = Math.floor(99 / stride) + 1;
      expect(timesteps('uniform-trailing', 100, steps)).toEqual(Array.from({ length: count }, (_, i) => 99 - (count - 1 - i) * stride));
    }
  });

  test('uniform-linspace: linspace(0, T − 1, N) truncated; quad: floor(linspace(0, √(0.8T), N)²)', () => {
    expect(timesteps('uniform-linspace', 1000, 4)).toEqual([0, 333, 666, 999]);
    expect(timesteps('uniform-linspace', 10, 3)).toEqual([0, 4, 9]); // 4.5 truncated, not rounded
    expect(timesteps('quad', 1000, 5)).toEqual([0, 50, 200, 450, 800]);
  });

  test('float32 as PyTorch computes it: quad 10/2 ends at 7 (√8² = 7.9999995), not 8', () => {
    expect(timesteps('quad', 10, 2)).toEqual([0, 7]);
    expect(byTorch['quad/10/2']).toEqual([0, 7]);
    // The float64 `quad` (the parity references' arithmetic) gives 8 there.
    expect(registry.get('schedule', 'quad', 'x').timesteps(ask(10, 2))).toEqual([0, 8]);
  });

  test(`every type matches PyTorch's sequence (${Object.keys(byTorch).length - 1} of them)`, () => {
    let checked = 0;
    for (const [key, expected] of Object.entries(byTorch)) {
      if (key === 'torch') continue;
      const [type, total, steps] = key.split('/');
      expect([key, timesteps(type!, Number(total), Number(steps))]).toEqual([key, expected as number[]]);
      checked++;
    }
    expect(checked).toBeGreaterThan(1000);
  });

  test('the fixture holds the float32 cases where float64 arithmetic gives other steps', () => {
    const differ = (type: string, schedule: string) =>
      Object.keys(byTorch).filter((key) => {
        if (!key.startsWith(`${type}/`)) return false;
        const [, total, steps] = key.split('/').map(Number);
        return JSON.stringify(registry.get('schedule', schedule, 'x').timesteps(ask(total!, steps!))) !== JSON.stringify(byTorch[key]);
      });
    expect(differ('quad', 'quad').length).toBeGreaterThan(10);
    expect(differ('uniform-linspace', 'linspace').length).toBeGreaterThan(10);
  });
});
