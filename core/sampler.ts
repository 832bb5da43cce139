/**
 * The shared DDIM engine: the model, the timestep sequence and the step math, with
 * preallocated buffers. Modes drive it; none of them reimplements the update.
 */
import { AbortedError } from './errors.ts';
import {
  type Objective,
  type StepCoefficients,
  applyStep,
  createStepCoefficients,
  inversionCoefficients,
  samplingCoefficients,
} from './math/ddim-step.ts';
import type { DiffusionModel } from './model/model.ts';
import { fillGaussian } from './noise/philox.ts';

export interface SamplerSettings {
  /** ᾱ_t for t = 0..T−1 (float32, as the reference). */
  readonly alphasCumprod: Float32Array;
  /** Ascending timesteps to visit. */
  readonly timesteps: readonly number[];
  readonly objective: Objective;
  readonly clipDenoised: boolean;
  readonly eta: number;
  readonly seed: number;
}

export interface StepEvent {
  readonly direction: 'sample' | 'invert';
  /** Model calls finished in this pass, and how many it makes. */
  readonly step: number;
  readonly steps: number;
  readonly batch: number;
}

export interface SamplerHooks {
  readonly signal?: AbortSignal;
  readonly onStep?: (event: StepEvent) => void;
  /** Every `previewEvery` sampling steps, the clipped x0 prediction of the batch. */
  readonly previewEvery?: number;
  readonly onPreview?: (x0: Float32Array, step: number, steps: number) => void;
}

/** Which noise streams a batch draws from when eta > 0: one per sample, within a domain. */
export interface NoiseStreams {
  readonly streams: ArrayLike<number>;
  readonly domain: number;
}

export class DdimSampler {
  readonly timesteps: readonly number[];
  readonly settings: SamplerSettings;
  readonly #model: DiffusionModel;
  readonly #hooks: SamplerHooks;
  readonly #size: number;
  readonly #forward: StepCoefficients[];
  readonly #backward: StepCoefficients[];
  // Buffers grow to the largest batch seen, then are reused by every step and batch.
  #t = new Int32Array(0);
  #noise: Float32Array | null = null;
  #x0: Float32Array | null = null;
  readonly #noiseKey = { seed: 0, stream: 0, step: 0, domain: 0 };

  constructor(model: DiffusionModel, settings: SamplerSettings, hooks: SamplerHooks = {}) {
    const { alphasCumprod: ac, timesteps, objective, eta } = settings;
    this.#model = model;
    this.settings = settings;
    this.#hooks = hooks;
    this.timesteps = timesteps;
    this.#size = model.info.channels * model.info.height * model.info.width;
    // Step i goes from timesteps[i] down to timesteps[i−1] (ᾱ = 1 below the first entry).
    this.#forward = timesteps.map((t, i) =>
      samplingCoefficients(createStepCoefficients(), objective, ac[t]!, i > 0 ? ac[timesteps[i - 1]!]! : 1, eta),
    );
    this.#backward = timesteps.slice(0, -1).map((t, i) =>
      inversionCoefficients(createStepCoefficients(), objective, ac[t]!, ac[timesteps[i + 1]!]!),
    );
  }

  /** Values per sample (C·H·W). */
  get sampleSize(): number {
    return this.#size;
  }

  #checkBatch(x: Float32Array, batch: number): void {
    if (x.length < batch * this.#size) throw new RangeError(`x holds ${x.length} values, fewer than a batch of ${batch}`);
    if (this.#t.length >= batch) return;
    this.#t = new Int32Array(batch);
    if (this.settings.eta > 0) this.#noise = new Float32Array(batch * this.#size);
    if (this.#hooks.onPreview) this.#x0 = new Float32Array(batch * this.#size);
  }

  /** Denoise `batch` samples in x (x_T on entry, x_0 on return), in place. */
  async sample(x: Float32Array, batch: number, noise: NoiseStreams): Promise<void> {
    this.#checkBatch(x, batch);
    const { signal, onStep, onPreview, previewEvery = 0 } = this.#hooks;
    const { seed, clipDenoised } = this.settings;
    const size = this.#size;
    const steps = this.timesteps.length;
    for (let i = steps - 1, done = 1; i >= 0; i--, done++) {
      if (signal?.aborted) throw new AbortedError();
      const t = this.timesteps[i]!;
      this.#t.fill(t, 0, batch);
      const out = await this.#model.run(x, this.#t, batch);
      const coefficients = this.#forward[i]!;
      const noiseBuffer = coefficients.sigma > 0 && t > 0 ? this.#noise : null;
      if (noiseBuffer) {
        const key = this.#noiseKey;
        key.seed = seed;
        key.step = t;
        key.domain = noise.domain;
        for (let s = 0; s < batch; s++) {
          key.stream = noise.streams[s]!;
          fillGaussian(noiseBuffer, s * size, size, key);
        }
      }
      const preview = onPreview && previewEvery > 0 && (done % previewEvery === 0 || done === steps) ? this.#x0 : null;
      applyStep(coefficients, x, out, batch, size, out.length / batch, clipDenoised, noiseBuffer, preview);
      if (preview) onPreview!(preview.subarray(0, batch * size), done, steps);
      onStep?.({ direction: 'sample', step: done, steps, batch });
    }
  }

  /** DDIM inversion: map `batch` images in x (x_0) to latents at the last timestep, in place. */
  async invert(x: Float32Array, batch: number): Promise<void> {
    this.#checkBatch(x, batch);
    const { signal, onStep } = this.#hooks;
    const steps = this.#backward.length;
    for (let i = 0; i < steps; i++) {
      if (signal?.aborted) throw new AbortedError();
      this.#t.fill(this.timesteps[i]!, 0, batch);
      const out = await this.#model.run(x, this.#t, batch);
      applyStep(this.#backward[i]!, x, out, batch, this.#size, out.length / batch, this.settings.clipDenoised, null);
      onStep?.({ direction: 'invert', step: i + 1, steps, batch });
    }
  }
}
