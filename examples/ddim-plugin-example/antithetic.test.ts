/** The mode on the toolkit's shipped model, through the public library API, as a user runs it. */
import { describe, expect, test } from 'bun:test';
import { fileURLToPath } from 'node:url';
import { Registry, createDefaultRegistry, createPipeline, loadConfig, loadPlugins, memorySink, parseOverride } from 'ddim-toolkit';
import { plugins } from './index.ts';

const CONFIG = fileURLToPath(import.meta.resolve('ddim-toolkit/models/ddpm_fashion_mnist.yaml'));
const SIZE = 32 * 32;

/** Run the shipped model with these key=value overrides (3 items, 5 steps unless they say otherwise). */
async function run(...overrides: string[]) {
  const config = loadConfig(CONFIG, { overrides: ['sampler.n_samples=3', 'diffusion.params.skip_steps=5', ...overrides].map((o) => parseOverride(o)) });
  const pipeline = await createPipeline(config, { registry: createDefaultRegistry().register(...plugins) });
  try {
    const sink = memorySink();
    await pipeline.run({ sink });
    return sink;
  } finally {
    await pipeline.dispose();
  }
}

/** Width and height from a PNG's IHDR chunk. */
const pngSize = (png: Uint8Array): [number, number] => {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return [view.getUint32(16), view.getUint32(20)];
};

describe('antithetic', () => {
  test('pairs the `sample` mode image of x_T with a different image from -x_T', async () => {
    const pairs = await run('sampler.mode=antithetic', 'diffusion.params.eta=0.5');
    const plain = await run('sampler.mode=sample', 'diffusion.params.eta=0.5');
    expect(pairs.info?.plan).toMatchObject({ count: 3, itemShape: [2, 1, 32, 32], framesPerItem: 2 });
    expect(pairs.samples.length).toBe(3 * 2 * SIZE);
    for (let item = 0; item < 3; item++) {
      const first = pairs.samples.subarray(2 * item * SIZE, (2 * item + 1) * SIZE);
      const mirror = pairs.samples.subarray((2 * item + 1) * SIZE, (2 * item + 2) * SIZE);
      expect([...first]).toEqual([...plain.samples.subarray(item * SIZE, (item + 1) * SIZE)]);
      const meanGap = mirror.reduce((sum, value, j) => sum + Math.abs(value - first[j]!), 0) / SIZE;
      expect(meanGap).toBeGreaterThan(0.05);
    }
  });

  test('gives the same pairs whatever micro_batch splits them into', async () => {
    const whole = await run('sampler.mode=antithetic', 'sampler.micro_batch=64');
    const split = await run('sampler.mode=antithetic', 'sampler.micro_batch=2');
    expect([...split.samples]).toEqual([...whole.samples]);
  });

  test('puts each pair side by side in one PNG, on the stride schedule', async () => {
    const sink = await run('sampler.mode=antithetic', 'diffusion.params.skip_type=stride', 'sampler.options.stride.stride=250');
    expect(sink.info?.timesteps).toEqual([249, 499, 749, 999]);
    expect(sink.pngs.length).toBe(3);
    const [width, height] = pngSize(sink.pngs[0]!);
    expect(width).toBeGreaterThanOrEqual(2 * 32);
    expect(width).toBeGreaterThan(height);
  });

  test('is, with the stride schedule, what the package gives the registry', async () => {
    // By file: a package name resolves from the working directory, which a test does not choose.
    const registry = await loadPlugins(new Registry(), [fileURLToPath(import.meta.resolve('ddim-plugin-example'))]);
    expect([registry.names('mode'), registry.names('schedule')]).toEqual([['antithetic'], ['stride']]);
  });
});
