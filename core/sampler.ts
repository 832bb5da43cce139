/**
 * The shared DDIM engine: the model, the timestep sequence and the step math, with
 * preallocated buffers. Modes drive it (a whole pass, a pass with hooks, or one step at a
 * time); none of them reimplements the update.
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
import { applyForward, forwardCoefficients } from './math/forward-noise.ts';
import { type EpsConversion, type GuidanceCombiner, GuidedEps, epsConversion } from './math/guidance.ts';
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
  /**
   * Classifier-free guidance scale s of a conditional network (default 1): 0 unconditional,
   * 1 conditional, > 1 guided (two rows per sample in each model call). Ignored for (x, t) networks.
   */
  readonly guidanceScale?: number;
  /** How guided steps combine ε_c and ε_u: a guidance rule and its options (default: the original's, `cfg`). */
  readonly guidance?: GuidanceCombiner;
  /** T, the length of the model's chain, as a guidance rule is told it (default: ᾱ's length). */
  readonly totalSteps?: number;
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

/**
 * Which noise streams a batch draws from: one per sample, within a domain. A mode uses its
 * own domains, a different one for each purpose (per-step noise, forward noise, ...), so that
 * two draws never share a key.
 */
export interface NoiseStreams {
  readonly streams: ArrayLike<number>;
  readonly domain: number;
  /**
   * The class of each sample for a conditional network (< 0: none), e.g. from
   * `context.classOf(item)`; the sampler adds the unconditional rows guidance needs.
   */
  readonly labels?: ArrayLike<number>;
}

/** What a step hook sees after one DDIM step of `sample`. */
export interface SampleStep {
  /** Position in `timesteps` of the timestep this step started from. */
  readonly index: number;
  readonly t: number;
  /** The timestep x is now at (timesteps[index − 1]); −1 after the last step, when x is x_0. */
  readonly tPrev: number;
  /** x at tPrev, `batch` samples: the hook may change it in place (e.g. paste a known region). */
  readonly x: Float32Array;
  /** This step's prediction of x_0 (clamped when clip_denoised); valid until the next step. */
  readonly x0: Float32Array;
  readonly batch: number;
}

/** A hook's answer: `'stop'` ends the pass after this step. */
export type StepHookResult = void | 'stop';

export interface SampleOptions extends NoiseStreams {
  /** Start at timesteps[from] with x holding x_t there (default: the last entry, x holds x_T). */
  readonly from?: number;
  /** After every step: observe x and x0, steer x, or stop. */
  readonly onStep?: (step: SampleStep) => StepHookResult | Promise<StepHookResult>;
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
  #noise = new Float32Array(0);
  #x0 = new Float32Array(0);
  /** Conditional networks: ε per step, and a call's rows with and without the class. */
  readonly #toEps: EpsConversion[] = [];
  readonly #guided: GuidedEps;
  #rowsX = new Float32Array(0);
  #rowsT = new Int32Array(0);
  #rowsLabels = new Int32Array(0);
  readonly #noiseKey = { seed: 0, stream: 0, step: 0, domain: 0 };

  constructor(model: DiffusionModel, settings: SamplerSettings, hooks: SamplerHooks = {}) {
    const { alphasCumprod: ac, timesteps, objective, eta } = settings;
    this.#model = model;
    this.settings = settings;
    this.#hooks = hooks;
    this.timesteps = timesteps;
    this.#size = model.info.channels * model.info.height * model.info.width;
    this.#guided = new GuidedEps(settings.guidance, settings.guidanceScale ?? 1, timesteps, settings.totalSteps ?? ac.length, this.#size);
    // A conditional network's outputs become a guided ε first: the step then reads an ε-prediction.
    const stepObjective = model.info.classInput ? 'pred_eps' : objective;
    if (model.info.classInput) for (const t of timesteps) this.#toEps.push(epsConversion(objective, ac[t]!));
    // Step i goes from timesteps[i] down to timesteps[i−1] (ᾱ = 1 below the first entry).
    this.#forward = timesteps.map((t, i) =>
      samplingCoefficients(createStepCoefficients(), stepObjective, ac[t]!, i > 0 ? ac[timesteps[i - 1]!]! : 1, eta),
    );
    this.#backward = timesteps.slice(0, -1).map((t, i) =>
      inversionCoefficients(createStepCoefficients(), stepObjective, ac[t]!, ac[timesteps[i + 1]!]!),
    );
  }

  /** Values per sample (C·H·W). */
  get sampleSize(): number {
    return this.#size;
  }

  /** ᾱ at timesteps[index]; 1 for index −1 (x_0). */
  alphaBar(index: number): number {
    return index < 0 ? 1 : this.settings.alphasCumprod[this.timesteps[index]!]!;
  }

  #reserve(x: Float32Array, batch: number): void {
    if (x.length < batch * this.#size) throw new RangeError(`x holds ${x.length} values, fewer than a batch of ${batch}`);
    if (this.#t.length >= batch) return;
    this.#t = new Int32Array(batch);
    this.#noise = new Float32Array(batch * this.#size);
    this.#x0 = new Float32Array(batch * this.#size);
    if (!this.#model.info.classInput) return;
    this.#guided.reserve(batch * this.#size, this.rowsPerSample === 2);
    this.#rowsX = new Float32Array(2 * batch * this.#size);
    this.#rowsT = new Int32Array(2 * batch);
    this.#rowsLabels = new Int32Array(2 * batch);
  }

  /** Model rows per sample in each call: 2 with guidance (s ∉ {0, 1}) on a conditional network, else 1. */
  get rowsPerSample(): 1 | 2 {
    const scale = this.settings.guidanceScale ?? 1;
    return this.#model.info.classInput && scale !== 0 && scale !== 1 ? 2 : 1;
  }

  /**
   * The model's ε for `batch` samples in x at timesteps[index], guided: the rows with and
   * without each sample's class in one call (2·batch rows) combined by the guidance rule, or
   * one row when s is 0 or 1.
   */
  async #guidedOutput(x: Float32Array, batch: number, index: number, labels: ArrayLike<number> | undefined, direction: 'sample' | 'invert'): Promise<Float32Array> {
    const size = this.#size;
    const scale = this.settings.guidanceScale ?? 1;
    const rowsPerItem = this.rowsPerSample;
    const rows = rowsPerItem * batch;
    const values = batch * size;
    if (rowsPerItem === 2) {
      this.#rowsX.set(x.subarray(0, values), 0);
      this.#rowsX.set(x.subarray(0, values), values);
    }
    this.#rowsT.fill(this.timesteps[index]!, 0, rows);
    for (let s = 0; s < batch; s++) {
      const label = labels === undefined || scale === 0 ? -1 : labels[s]!;
      this.#rowsLabels[s] = label;
      if (rowsPerItem === 2) this.#rowsLabels[batch + s] = -1;
    }
    const input = rowsPerItem === 2 ? this.#rowsX : x;
    const out = await this.#model.run(input, this.#rowsT, rows, this.#rowsLabels);
    return this.#guided.of(this.#toEps[index]!, x, out, batch, rowsPerItem, this.#rowsLabels, index, direction);
  }

  /** The model's output (or, for a conditional network, its guided ε) at timesteps[index], and its values per sample. */
  async #output(x: Float32Array, batch: number, index: number, labels: ArrayLike<number> | undefined, direction: 'sample' | 'invert'): Promise<[Float32Array, number]> {
    if (this.#model.info.classInput) return [await this.#guidedOutput(x, batch, index, labels, direction), this.#size];
    this.#t.fill(this.timesteps[index]!, 0, batch);
    const out = await this.#model.run(x, this.#t, batch);
    return [out, out.length / batch];
  }

  /** Fill the noise buffer with one standard normal draw per sample, keyed (seed, stream, t, domain). */
  #drawNoise(batch: number, t: number, noise: NoiseStreams): Float32Array {
    const key = this.#noiseKey;
    key.seed = this.settings.seed;
    key.step = t;
    key.domain = noise.domain;
    for (let s = 0; s < batch; s++) {
      key.stream = noise.streams[s]!;
      fillGaussian(this.#noise, s * this.#size, this.#size, key);
    }
    return this.#noise;
  }

  /**
   * One DDIM step of `batch` samples in x, in place: from timesteps[index] to
   * timesteps[index − 1] (to x_0 for index 0). x0Out, when given, receives the x0 prediction.
   */
  async step(x: Float32Array, batch: number, index: number, noise: NoiseStreams, x0Out: Float32Array | null = null): Promise<void> {
    // Checked before every model call, so a mode's own loop (resampling, say) stops on cancel too.
    if (this.#hooks.signal?.aborted) throw new AbortedError();
    this.#reserve(x, batch);
    const t = this.timesteps[index]!;
    const [out, outStride] = await this.#output(x, batch, index, noise.labels, 'sample');
    const coefficients = this.#forward[index]!;
    const noiseBuffer = coefficients.sigma > 0 && t > 0 ? this.#drawNoise(batch, t, noise) : null;
    applyStep(coefficients, x, out, batch, this.#size, outStride, this.settings.clipDenoised, noiseBuffer, x0Out);
  }

  /** Denoise `batch` samples in x (x_t at timesteps[from] on entry, x_0 on return), in place. */
  async sample(x: Float32Array, batch: number, options: SampleOptions): Promise<void> {
    this.#reserve(x, batch);
    const { onStep, onPreview, previewEvery = 0 } = this.#hooks;
    const from = options.from ?? this.timesteps.length - 1;
    if (!Number.isInteger(from) || from < 0 || from >= this.timesteps.length) {
      throw new RangeError(`from: expected an index in [0, ${this.timesteps.length}), got ${from}`);
    }
    const steps = from + 1;
    for (let i = from, done = 1; i >= 0; i--, done++) {
      const preview = onPreview && previewEvery > 0 && (done % previewEvery === 0 || done === steps);
      const x0 = options.onStep || preview ? this.#x0 : null;
      await this.step(x, batch, i, options, x0);
      if (preview) onPreview!(this.#x0.subarray(0, batch * this.#size), done, steps);
      onStep?.({ direction: 'sample', step: done, steps, batch });
      if (options.onStep) {
        const view = { index: i, t: this.timesteps[i]!, tPrev: i > 0 ? this.timesteps[i - 1]! : -1, x, x0: this.#x0, batch };
        if ((await options.onStep(view)) === 'stop') return;
      }
    }
  }

  /**
   * The forward process q(x_t | x_s) with seeded noise: x (x_s at timesteps[fromIndex], or
   * x_0 for −1) becomes x_t at timesteps[toIndex], in place. Noise is keyed (seed, stream,
   * t, domain): give it a domain of its own.
   */
  diffuse(x: Float32Array, batch: number, toIndex: number, noise: NoiseStreams, fromIndex = -1): void {
    this.#reserve(x, batch);
    if (toIndex <= fromIndex) throw new RangeError(`diffuse: toIndex (${toIndex}) must be after fromIndex (${fromIndex})`);
    const { scale, spread } = forwardCoefficients(this.alphaBar(toIndex), this.alphaBar(fromIndex));
    const eps = this.#drawNoise(batch, this.timesteps[toIndex]!, noise);
    applyForward(scale, spread, x, eps, x, batch * this.#size);
  }

  /** DDIM inversion: map `batch` images in x (x_0) to latents at the last timestep, in place (labels: their classes, as in sampling). */
  async invert(x: Float32Array, batch: number, labels?: ArrayLike<number>): Promise<void> {
    this.#reserve(x, batch);
    const { signal, onStep } = this.#hooks;
    const steps = this.#backward.length;
    for (let i = 0; i < steps; i++) {
      if (signal?.aborted) throw new AbortedError();
      const [out, outStride] = await this.#output(x, batch, i, labels, 'invert');
      applyStep(this.#backward[i]!, x, out, batch, this.#size, outStride, this.settings.clipDenoised, null);
      onStep?.({ direction: 'invert', step: i + 1, steps, batch });
    }
  }
}
