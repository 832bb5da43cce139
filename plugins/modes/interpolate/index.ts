import { type ModeBatch, clampUnit, defineMode } from '../../../core/plugin-api.ts';

/**
 * Spherical interpolation between two noises per pair, then sampling every frame:
 * frame k = slerp(k/(K−1), z1, z2), θ = acos(⟨z1,z2⟩/(‖z1‖‖z2‖)) per pair.
 */
export const interpolate = defineMode({
  name: 'interpolate',
  description: 'slerp between two noises per pair (n_samples pairs, n_interpolate frames each)',
  reads: ['n_interpolate', 'class', 'classes', 'guidance_scale', 'n_samples_each_class'],
  plan({ nSamples, shape, config, steps }) {
    const frames = config.sampler.n_interpolate;
    return {
      count: nSamples,
      itemShape: [frames, shape.channels, shape.height, shape.width],
      framesPerItem: frames,
      latents: false,
      cost: { rowsPerItem: frames, callsPerRow: steps, rowsSetBy: 'n_interpolate' },
    };
  },
  async *run(context, plan): AsyncGenerator<ModeBatch> {
    const { sampler } = context;
    const frames = plan.framesPerItem;
    const size = sampler.sampleSize;
    // Whole pairs per model batch: as many as micro_batch frames allow, at least one.
    const pairsPerBatch = Math.max(1, Math.floor(context.microBatch / frames));
    const x = new Float32Array(Math.min(pairsPerBatch, plan.count) * frames * size);
    const z1 = new Float32Array(size);
    const z2 = new Float32Array(size);
    const streams = new Int32Array(pairsPerBatch * frames);
    // Both ends of a pair, and every frame between them, have the pair's class.
    const labels = new Int32Array(streams.length);
    for (let start = 0; start < plan.count; start += pairsPerBatch) {
      const pairs = Math.min(pairsPerBatch, plan.count - start);
      if (context.isDone(start, pairs)) continue;
      for (let p = 0; p < pairs; p++) {
        const pair = start + p;
        context.initialNoise(z1, 0, 2 * pair);
        context.initialNoise(z2, 0, 2 * pair + 1);
        let dot = 0;
        let n1 = 0;
        let n2 = 0;
        for (let j = 0; j < size; j++) {
          dot += z1[j]! * z2[j]!;
          n1 += z1[j]! * z1[j]!;
          n2 += z2[j]! * z2[j]!;
        }
        const theta = Math.acos(Math.min(1, Math.max(-1, dot / Math.sqrt(n1 * n2))));
        const sinTheta = Math.sin(theta);
        for (let k = 0; k < frames; k++) {
          const a = k / (frames - 1);
          // Identical endpoints (θ = 0) interpolate linearly, the limit of slerp.
          const w1 = sinTheta > 1e-12 ? Math.sin((1 - a) * theta) / sinTheta : 1 - a;
          const w2 = sinTheta > 1e-12 ? Math.sin(a * theta) / sinTheta : a;
          const offset = (p * frames + k) * size;
          for (let j = 0; j < size; j++) x[offset + j] = w1 * z1[j]! + w2 * z2[j]!;
          streams[p * frames + k] = pair * frames + k;
          labels[p * frames + k] = context.classOf(pair);
        }
      }
      await sampler.sample(x, pairs * frames, { streams, labels, domain: 1 });
      yield { start, count: pairs, samples: clampUnit(x.slice(0, pairs * frames * size)) };
    }
  },
});

export default interpolate;
