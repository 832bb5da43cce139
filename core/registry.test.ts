import { describe, expect, test } from 'bun:test';
import { UserError } from './errors.ts';
import { defineSchedule } from './plugin.ts';
import { Registry, pluginOptions } from './registry.ts';
import { loadPlugins } from './load-plugins.ts';
import * as v from 'valibot';

const everyTenth = defineSchedule({ name: 'every-tenth', timesteps: ({ totalSteps }) => Array.from({ length: totalSteps / 10 }, (_, i) => i * 10) });

describe('Registry', () => {
  test('treats the same plugin twice as a no-op and refuses another under a taken name', () => {
    const registry = new Registry().register(everyTenth, everyTenth);
    expect(registry.get('schedule', 'every-tenth')).toBe(everyTenth);
    const impostor = defineSchedule({ name: 'every-tenth', timesteps: () => [0] });
    expect(() => registry.register(impostor)).toThrow('a schedule named "every-tenth" is already registered');
  });

  test('refuses objects that are not plugins', () => {
    expect(() => new Registry().register({ name: 'x' } as never)).toThrow('not a plugin');
  });

  test('loads a plugin module by path and fails clearly for a missing one', async () => {
    const registry = new Registry();
    await loadPlugins(registry, [new URL('../test/fixtures/plugins/strided-schedule.ts', import.meta.url).pathname]);
    expect(registry.names('schedule')).toEqual(['strided']);
    await expect(loadPlugins(registry, ['/nonexistent/plugin.ts'])).rejects.toThrow('cannot load plugin "/nonexistent/plugin.ts"');
  });
});

describe('pluginOptions', () => {
  const withOptions = defineSchedule<{ k: number }>({
    name: 'k',
    options: v.strictObject({ k: v.optional(v.number(), 3) }),
    timesteps: () => [0],
  });

  test('fills defaults and validates against the plugin schema', () => {
    expect(pluginOptions(withOptions, undefined, 'sampler.options.k')).toEqual({ k: 3 });
    expect(() => pluginOptions(withOptions, { k: 'x' }, 'sampler.options.k')).toThrow('sampler.options.k.k: expected number, got "x"');
  });
});
