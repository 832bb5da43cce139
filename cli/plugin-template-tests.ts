/**
 * The tests `ddim plugins new` writes beside its mode and schedule: they run both through the
 * toolkit's public API on its shipped model (`ddim-toolkit/models/...`), as a user's run would.
 */
import { type PluginNames, fill } from './plugin-template-sources.ts';

const SUPPORT = `/** What the tests share: the toolkit's shipped model and config, and runs of it with this package's plugins. */
import { fileURLToPath } from 'node:url';
import { type DdimConfig, type MemorySink, type Override, createDefaultRegistry, createPipeline, loadConfig, memorySink } from 'ddim-toolkit';
import { plugins } from './index.ts';

/** The shipped config; its model path is relative to it, so the model comes along. */
export const SHIPPED_CONFIG = fileURLToPath(import.meta.resolve('ddim-toolkit/models/ddpm_fashion_mnist.yaml'));

/** The shipped config with these settings (dotted config paths) over it. */
export function configWith(settings: Record<string, unknown>): DdimConfig {
  const overrides: Override[] = Object.entries(settings).map(([path, value]) => ({ path, value, origin: 'test' }));
  return loadConfig(SHIPPED_CONFIG, { overrides });
}

/** A run of the shipped model, in memory, with this package's plugins registered: its results. */
export async function runWith(settings: Record<string, unknown>): Promise<MemorySink> {
  const config = configWith({ 'sampler.n_samples': 2, 'diffusion.params.skip_steps': 5, ...settings });
  const pipeline = await createPipeline(config, { registry: createDefaultRegistry().register(...plugins) });
  try {
    const sink = memorySink();
    await pipeline.run({ sink });
    return sink;
  } finally {
    await pipeline.dispose();
  }
}
`;

const MODE_TEST = `import { describe, expect, test } from 'bun:test';
import { runWith } from './test-support.ts';

describe('the __MODE__ mode', () => {
  test("at gain 1 draws exactly the 'sample' mode's images for the same seed", async () => {
    const mine = await runWith({ 'sampler.mode': '__MODE__', seed: 7 });
    const plain = await runWith({ 'sampler.mode': 'sample', seed: 7 });
    expect(mine.samples.length).toBe(2 * 32 * 32);
    expect([...mine.samples]).toEqual([...plain.samples]);
  });

  test('at gain 2 doubles every value, clamped to [-1, 1]', async () => {
    const once = await runWith({ 'sampler.mode': '__MODE__' });
    const twice = await runWith({ 'sampler.mode': '__MODE__', 'sampler.options.__MODE__': { gain: 2 } });
    const expected = [...once.samples].map((value) => Math.max(-1, Math.min(1, 2 * value)));
    expect([...twice.samples]).toEqual(expected);
    expect(expected.some((value, i) => value !== once.samples[i])).toBe(true);
  });

  test('gives the same images whatever micro_batch splits the run into', async () => {
    const whole = await runWith({ 'sampler.mode': '__MODE__', 'sampler.micro_batch': 64, 'sampler.n_samples': 3 });
    const split = await runWith({ 'sampler.mode': '__MODE__', 'sampler.micro_batch': 1, 'sampler.n_samples': 3 });
    expect([...split.samples]).toEqual([...whole.samples]);
    expect(split.pngs.map((png) => Buffer.from(png).toString('base64'))).toEqual(whole.pngs.map((png) => Buffer.from(png).toString('base64')));
  });

  test('refuses a gain out of range in one line naming the option', async () => {
    await expect(runWith({ 'sampler.mode': '__MODE__', 'sampler.options.__MODE__': { gain: 5 } })).rejects.toThrow(
      'sampler.options.__MODE__.gain: gain must be in [0, 4], got 5',
    );
  });
});
`;

const SCHEDULE_TEST = `import { describe, expect, test } from 'bun:test';
import { Registry, scheduleTimesteps } from 'ddim-toolkit';
import { karrasTimesteps, schedule } from './schedule.ts';
import { configWith, runWith } from './test-support.ts';

/** The timesteps the toolkit asks of the schedule for these config settings. */
const timesteps = (settings: Record<string, unknown>) =>
  scheduleTimesteps(new Registry().register(schedule), configWith({ 'diffusion.params.skip_type': '__SCHEDULE__', ...settings }));

describe('the __SCHEDULE__ schedule', () => {
  test('picks the timesteps worked out by hand on a 4-step chain', () => {
    // betas 0.1..0.4: abar = [0.9, 0.72, 0.504, 0.3024], log sigma = [-1.099, -0.472, -0.008, 0.418].
    // rho 1: the middle sigma is (0.333 + 1.519) / 2 = 0.926, log -0.077: nearest t = 2.
    // rho 7: the middle sigma^(1/7) is (0.855 + 1.062) / 2 = 0.958, so sigma = 0.742, log -0.299: nearest t = 1.
    const chain = { 'diffusion.params.total_steps': 4, 'diffusion.params.betas': [0.1, 0.2, 0.3, 0.4], 'diffusion.params.skip_steps': 3 };
    expect(timesteps({ ...chain, 'sampler.options.__SCHEDULE__': { rho: 1 } })).toEqual([0, 2, 3]);
    expect(timesteps(chain)).toEqual([0, 1, 3]);
  });

  test("spans the model's whole chain and follows its beta schedule", () => {
    const linear = timesteps({ 'diffusion.params.skip_steps': 10 });
    expect(linear[0]).toBe(0);
    expect(linear.at(-1)).toBe(999);
    expect(linear.length).toBeLessThanOrEqual(10);
    expect(linear.every((t, i) => i === 0 || t > linear[i - 1]!)).toBe(true);
    // The same request on a cosine chain: its own abar, so other timesteps.
    expect(timesteps({ 'diffusion.params.skip_steps': 10, 'diffusion.params.beta_schedule': 'cosine' })).not.toEqual(linear);
  });

  test('visits every timestep without skip_steps, and only T-1 for one step', () => {
    expect(timesteps({ 'diffusion.params.skip_steps': null })).toEqual(Array.from({ length: 1000 }, (_, t) => t));
    expect(karrasTimesteps([0.9, 0.72, 0.504, 0.3024], 1, 7)).toEqual([3]);
  });

  test('refuses a rho out of range in one line naming the option', () => {
    expect(() => timesteps({ 'sampler.options.__SCHEDULE__': { rho: 0 } })).toThrow('sampler.options.__SCHEDULE__.rho: rho must be in [1, 20], got 0');
  });

  test("drives a run of the model, with the package's mode", async () => {
    const sink = await runWith({ 'sampler.mode': '__MODE__', 'diffusion.params.skip_type': '__SCHEDULE__' });
    expect(sink.info?.timesteps).toEqual(timesteps({ 'diffusion.params.skip_steps': 5 }));
    expect(sink.pngs.length).toBe(2);
  });
});
`;

/** The test files of a new plugin package. */
export function pluginTests(names: PluginNames): Record<string, string> {
  return { 'test-support.ts': fill(SUPPORT, names), 'mode.test.ts': fill(MODE_TEST, names), 'schedule.test.ts': fill(SCHEDULE_TEST, names) };
}
