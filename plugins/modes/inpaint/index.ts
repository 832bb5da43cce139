import * as v from 'valibot';
import { type DdimSampler, type ModeBatch, type NoiseStreams, UserError, clampUnit, defineMode } from '../../../core/plugin-api.ts';

/** Noise domains of resampling round r: 20 + 3r (eta noise), 21 + 3r (known region), 22 + 3r (jump back). */
const DOMAIN_BASE = 20;
/** 25 rounds take domains 20..94, the range reserved for this mode. */
const MAX_RESAMPLE = 25;

const options = v.strictObject({
  /** Rounds per step (RePaint's U): 1 samples once; more jump back to t and redo the step. */
  resample: v.optional(
    v.pipe(
      v.number(),
      v.integer(`resample must be an integer in [1, ${MAX_RESAMPLE}]`),
      v.minValue(1, `resample must be an integer in [1, ${MAX_RESAMPLE}] (1: no resampling)`),
      v.maxValue(MAX_RESAMPLE, `resample must be an integer in [1, ${MAX_RESAMPLE}] (each round takes three noise domains of the mode's own)`),
    ),
    1,
  ),
});

/**
 * Model calls per item: `resample` rounds at every step but the last, which goes to x_0 and
 * has nothing to jump back from (RePaint's Algorithm 1 resamples only for t > 1).
 */
export function inpaintCalls(steps: number, resample: number): number {
  return (steps - 1) * resample + 1;
}

/** The noise keys of one round: a domain per purpose, on the batch's streams. */
interface RoundNoise {
  readonly step: NoiseStreams;
  readonly known: NoiseStreams;
  readonly jump: NoiseStreams;
}

/** Buffers and noise keys of one run, sized for its largest micro-batch. */
interface Workspace {
  readonly sampler: DdimSampler;
  readonly originals: Float32Array;
  readonly masks: Float32Array;
  readonly known: Float32Array;
  readonly x: Float32Array;
  readonly streams: Int32Array;
  readonly labels: Int32Array;
  readonly rounds: readonly RoundNoise[];
  readonly channels: number;
}

function workspace(sampler: DdimSampler, capacity: number, plane: number, resample: number): Workspace {
  const size = sampler.sampleSize;
  const streams = new Int32Array(capacity);
  const labels = new Int32Array(capacity);
  const rounds = Array.from({ length: resample }, (_, r) => ({
    step: { streams, labels, domain: DOMAIN_BASE + 3 * r },
    known: { streams, domain: DOMAIN_BASE + 3 * r + 1 },
    jump: { streams, domain: DOMAIN_BASE + 3 * r + 2 },
  }));
  return {
    sampler,
    originals: new Float32Array(capacity * size),
    masks: new Float32Array(capacity * plane),
    known: new Float32Array(capacity * size),
    x: new Float32Array(capacity * size),
    streams,
    labels,
    rounds,
    channels: size / plane,
  };
}

/**
 * Replace the kept region of x (at timesteps[toIndex], or x_0 for −1) by the input at that
 * noise level: q(x_t | x_0) with the round's own noise, or the clean input after the last step.
 */
function pasteKnown(w: Workspace, count: number, toIndex: number, noise: NoiseStreams): void {
  const { sampler, originals, masks, known, x, channels } = w;
  const size = sampler.sampleSize;
  const plane = size / channels;
  // Whole buffers (same length): no view allocated per step; only the first count are used.
  known.set(originals);
  if (toIndex >= 0) sampler.diffuse(known, count, toIndex, noise);
  for (let s = 0; s < count; s++) {
    for (let p = 0; p < plane; p++) {
      if (masks[s * plane + p]! <= 0) continue;
      for (let c = 0, i = s * size + p; c < channels; c++, i += plane) x[i] = known[i]!;
    }
  }
}

/** RePaint on DDIM for one micro-batch: x holds x_T on entry and the inpainted x_0 on return. */
async function inpaintBatch(w: Workspace, count: number): Promise<void> {
  const { sampler, x, rounds } = w;
  await sampler.sample(x, count, {
    ...rounds[0]!.step,
    onStep: async ({ index }) => {
      pasteKnown(w, count, index - 1, rounds[0]!.known);
      if (index === 0) return;
      for (let r = 1; r < rounds.length; r++) {
        // Back from t_prev to t with q(x_t | x_t_prev), then the step again.
        sampler.diffuse(x, count, index, rounds[r - 1]!.jump, index - 1);
        await sampler.step(x, count, index, rounds[r]!.step);
        pasteKnown(w, count, index - 1, rounds[r]!.known);
      }
    },
  });
}

/** The masked input (unknown region mid-gray) | the result, per item. */
function framesOf(w: Workspace, count: number, samples: Float32Array): Float32Array {
  const { originals, masks, channels } = w;
  const size = samples.length / count;
  const plane = size / channels;
  const frames = new Float32Array(2 * count * size);
  for (let s = 0; s < count; s++) {
    const input = 2 * s * size;
    for (let p = 0; p < plane; p++) {
      if (masks[s * plane + p]! <= 0) continue;
      for (let c = 0; c < channels; c++) frames[input + c * plane + p] = originals[s * size + c * plane + p]!;
    }
    frames.set(samples.subarray(s * size, (s + 1) * size), input + size);
  }
  return frames;
}

/**
 * Inpainting with mask guidance, RePaint-style (Lugmayr et al., CVPR 2022) on DDIM: after
 * every step the kept region (mask > 0) is the input at the step's noise level; with
 * `resample` > 1 each step is redone from a jump back, so the generated region can agree
 * with what was pasted.
 */
export type InpaintOptions = v.InferOutput<typeof options>;

export const inpaint = defineMode({
  name: 'inpaint',
  description: 'fill the region of each input image its mask leaves black (white = keep), RePaint-style',
  reads: ['class', 'classes', 'guidance_scale'],
  options,
  startsFrom: 'noise',
  inputs: ['images', 'masks'],
  async plan({ nSamples, shape, inputs, masks, steps, options }) {
    const source = await inputs();
    const maskSource = await masks();
    if (maskSource.count !== source.count) {
      throw new UserError(`masks: ${maskSource.count} mask${maskSource.count === 1 ? '' : 's'} for ${source.count} input images; give one per input image`, {
        path: 'sampler.mask_dir',
      });
    }
    return {
      count: Math.min(nSamples, source.count),
      itemShape: [shape.channels, shape.height, shape.width],
      framesPerItem: 2,
      latents: false,
      cost: { rowsPerItem: 1, callsPerRow: inpaintCalls(steps, options.resample) },
    };
  },
  async *run(context, plan): AsyncGenerator<ModeBatch> {
    const { sampler, microBatch, shape } = context;
    const source = await context.inputs();
    const maskSource = await context.masks();
    const size = sampler.sampleSize;
    const capacity = Math.min(microBatch, plan.count);
    const w = workspace(sampler, capacity, shape.height * shape.width, context.options.resample);
    for (let start = 0; start < plan.count; start += microBatch) {
      const count = Math.min(microBatch, plan.count - start);
      if (context.isDone(start, count)) continue;
      await source.read(start, count, w.originals);
      await maskSource.read(start, count, w.masks);
      for (let s = 0; s < count; s++) {
        w.streams[s] = start + s;
        w.labels[s] = context.classOf(start + s);
        context.initialNoise(w.x, s * size, start + s);
      }
      await inpaintBatch(w, count);
      const samples = clampUnit(w.x.slice(0, count * size));
      yield { start, count, samples, frames: framesOf(w, count, samples) };
    }
  },
});

export default inpaint;
