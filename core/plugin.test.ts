import { describe, expect, test } from 'bun:test';
import * as v from 'valibot';
import { defineGuidance, defineMode, defineSchedule } from './plugin.ts';
import { pluginOptions } from './registry.ts';

/**
 * The option types come from the schema: the annotations and `@ts-expect-error` lines below are
 * checked by the project's type check (`tsc --noEmit`), which fails if `options` were `any`.
 */
const stepped = defineSchedule({
  name: 'stepped',
  options: v.strictObject({ every: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 10), label: v.optional(v.string()) }),
  timesteps: ({ totalSteps, options }) => {
    const every: number = options.every; // a default: never undefined
    // @ts-expect-error an optional without a default may be undefined
    const label: string = options.label;
    // @ts-expect-error not a key of the schema
    void options.evry;
    void label;
    return Array.from({ length: Math.ceil(totalSteps / every) }, (_, i) => i * every);
  },
});

const shaded = defineMode({
  name: 'shaded',
  options: v.strictObject({ shade: v.optional(v.picklist(['light', 'dark']), 'light') }),
  plan: ({ nSamples, options }) => {
    const shade: 'light' | 'dark' = options.shade;
    return { count: shade === 'dark' ? 0 : nSamples, itemShape: [1], framesPerItem: 1, latents: false };
  },
  async *run() {},
});

/** The older spelling, a type argument and no inference, still compiles. */
const named = defineSchedule<{ every: number }>({
  name: 'named',
  options: v.strictObject({ every: v.optional(v.number(), 2) }),
  timesteps: ({ options }) => [options.every],
});

const damped = defineGuidance({
  name: 'damped',
  options: v.strictObject({ damping: v.optional(v.number(), 0.5) }),
  combine: ({ options, count, size, epsCond, out }) => {
    const damping: number = options.damping;
    // @ts-expect-error not a key of the schema
    void options.dampng;
    for (let j = 0; j < count * size; j++) out[j] = damping * epsCond[j]!;
  },
});

describe('defineSchedule, defineMode and defineGuidance', () => {
  test('add the kind and keep everything else as given', () => {
    expect(stepped.kind).toBe('schedule');
    expect(shaded.kind).toBe('mode');
    expect(named).toMatchObject({ kind: 'schedule', name: 'named' });
    expect(pluginOptions(stepped, { every: 3 }, 'sampler.options.stepped')).toEqual({ every: 3 });
    expect(pluginOptions(shaded, undefined, 'sampler.options.shaded')).toEqual({ shade: 'light' });
    expect(damped).toMatchObject({ kind: 'guidance', name: 'damped' });
    expect(pluginOptions(damped, {}, 'sampler.options.damped')).toEqual({ damping: 0.5 });
  });
});
