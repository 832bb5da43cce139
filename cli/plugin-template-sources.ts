/**
 * The TypeScript files `ddim plugins new` writes: one mode, one schedule, the package entry and
 * their tests. They import only `ddim-toolkit` and valibot, as any third-party plugin does; the
 * suite scaffolds a package from them and runs its tests against the packed toolkit.
 */

/** The names a scaffolded package uses: its npm name and the names of its two plugins. */
export interface PluginNames {
  readonly packageName: string;
  readonly mode: string;
  readonly schedule: string;
}

const fill = (text: string, names: PluginNames): string =>
  text.replaceAll('__PACKAGE__', names.packageName).replaceAll('__MODE__', names.mode).replaceAll('__SCHEDULE__', names.schedule);

const MODE = `/**
 * The '__MODE__' mode: the images the built-in 'sample' mode draws, with their contrast scaled by
 * 'gain' around mid-gray (0), clamped to [-1, 1]. Replace the scaling with what your mode does;
 * keep the loop: micro-batches, resume, one noise stream per item.
 */
import * as v from 'valibot';
import { type ModeBatch, clampUnit, defineMode } from 'ddim-toolkit';

/** The 'sample' mode's noise domain: at gain 1 this mode draws exactly its images. */
const SAMPLE_DOMAIN = 0;

/** Its options (sampler.options.__MODE__): strict, with defaults and ranges. */
const options = v.strictObject({
  gain: v.optional(v.pipe(v.number(), v.minValue(0, 'gain must be in [0, 4]'), v.maxValue(4, 'gain must be in [0, 4]')), 1),
});

/** What run() and plan() receive: the schema's output, so the type is written once. */
export type ModeOptions = v.InferOutput<typeof options>;

export const mode = defineMode({
  name: '__MODE__',
  description: "the 'sample' mode's images with their contrast scaled by gain (sampler.options.__MODE__.gain, default 1)",
  options,
  plan({ nSamples, shape }) {
    // One PNG per sample, one row of samples.npy each, one model row per step (the default cost).
    return { count: nSamples, itemShape: [shape.channels, shape.height, shape.width], framesPerItem: 1, latents: false };
  },
  async *run(context, plan): AsyncGenerator<ModeBatch> {
    const { sampler, microBatch, options } = context;
    const size = sampler.sampleSize;
    // Buffers for the largest micro-batch, made once: nothing is allocated per step.
    const x = new Float32Array(Math.min(microBatch, plan.count) * size);
    const streams = new Int32Array(Math.min(microBatch, plan.count));
    for (let start = 0; start < plan.count; start += microBatch) {
      const count = Math.min(microBatch, plan.count - start);
      if (context.isDone(start, count)) continue; // a rerun in the same save_dir skips what is done
      for (let s = 0; s < count; s++) {
        streams[s] = start + s; // the item's index: its noise never depends on the micro-batch
        context.initialNoise(x, s * size, start + s);
      }
      await sampler.sample(x, count, { streams, domain: SAMPLE_DOMAIN });
      const samples = x.slice(0, count * size);
      for (let i = 0; i < samples.length; i++) samples[i]! *= options.gain;
      yield { start, count, samples: clampUnit(samples) };
    }
  },
});

export default mode;
`;

const SCHEDULE = `/**
 * The '__SCHEDULE__' schedule: timesteps spaced evenly in sigma^(1/rho) (Karras et al., 2022), from
 * the model's largest noise level down to its smallest. sigma_t = sqrt((1 - abar_t) / abar_t) comes
 * from the model's own abar (context.alphasCumprod), so it follows whatever beta schedule the model
 * was trained with. Each sigma goes to the timestep nearest in log sigma; sigmas that land on the
 * same timestep count once, so a run may make fewer steps than skip_steps asks.
 */
import * as v from 'valibot';
import { defineSchedule, skipOrAll } from 'ddim-toolkit';

const options = v.strictObject({
  rho: v.optional(v.pipe(v.number(), v.minValue(1, 'rho must be in [1, 20]'), v.maxValue(20, 'rho must be in [1, 20]')), 7),
});

export type ScheduleOptions = v.InferOutput<typeof options>;

/** The index of the entry of ascending \`values\` nearest to \`target\`. */
function nearest(values: Float64Array, target: number): number {
  let lo = 0;
  let hi = values.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (values[mid]! < target) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 && target - values[lo - 1]! <= values[lo]! - target ? lo - 1 : lo;
}

/** \`steps\` timesteps spaced evenly in sigma^(1/rho) over the chain with these abar, ascending, repeats dropped. */
export function karrasTimesteps(alphasCumprod: ArrayLike<number>, steps: number, rho: number): number[] {
  const total = alphasCumprod.length;
  const logSigma = new Float64Array(total);
  for (let t = 0; t < total; t++) logSigma[t] = 0.5 * Math.log((1 - alphasCumprod[t]!) / alphasCumprod[t]!);
  const rootMax = Math.exp(logSigma[total - 1]! / rho);
  const rootMin = Math.exp(logSigma[0]! / rho);
  const chosen = new Set<number>();
  for (let i = 0; i < steps; i++) {
    const root = steps === 1 ? rootMax : rootMax + (i / (steps - 1)) * (rootMin - rootMax);
    chosen.add(nearest(logSigma, rho * Math.log(root)));
  }
  return [...chosen].sort((a, b) => a - b);
}

export const schedule = defineSchedule({
  name: '__SCHEDULE__',
  description: 'skip_steps timesteps spaced evenly in sigma^(1/rho) of the model (Karras et al.); rho: sampler.options.__SCHEDULE__.rho, default 7',
  options,
  // Without skip_steps, every timestep, as the built-in schedules do.
  timesteps: ({ totalSteps, steps, alphasCumprod, options }) => skipOrAll(totalSteps, steps, (_, n) => karrasTimesteps(alphasCumprod, n, options.rho)),
});

export default schedule;
`;

const INDEX = `/**
 * __PACKAGE__: what a config's \`plugins: [__PACKAGE__]\` (or \`--plugin __PACKAGE__\`) loads.
 * The toolkit registers the \`plugins\` list: the '__MODE__' mode and the '__SCHEDULE__' schedule.
 */
import type { Plugin } from 'ddim-toolkit';
import { mode } from './mode.ts';
import { schedule } from './schedule.ts';

export { mode, schedule };
export type { ModeOptions } from './mode.ts';
export type { ScheduleOptions } from './schedule.ts';

export const plugins: readonly Plugin[] = [mode, schedule];

export default plugins;
`;

/** mode.ts, schedule.ts and index.ts of a new plugin package. */
export function pluginSources(names: PluginNames): Record<string, string> {
  return { 'mode.ts': fill(MODE, names), 'schedule.ts': fill(SCHEDULE, names), 'index.ts': fill(INDEX, names) };
}

export { fill };
