/**
 * The guidance-rule contract: how a conditional network's two outputs become the ε a guided
 * DDIM step takes. The built-in `cfg` rule is the original's ε = (1 − s)·ε_u + s·ε_c; a
 * plugin may combine them otherwise (a window of steps, a rescale). A leaf: plugin.ts
 * gathers it into the plugin union.
 */
import type * as v from 'valibot';

/**
 * One guided model call, ready to combine. The first `count`·`size` values of every array are
 * this call's, item by item (buffers may be longer: they are reused), valid only during the
 * call; the rule writes those values of `out` and allocates nothing (it runs once per step).
 */
export interface GuidanceStep<O> {
  /** The rule's own options, validated by its schema (sampler.options.<name>). */
  readonly options: O;
  /** The run's guidance scale s (sampler.guidance_scale): the rule is asked only for s ∉ {0, 1}. */
  readonly scale: number;
  /** Sampling (from high t down) or DDIM inversion (reconstruction's way up). */
  readonly direction: 'sample' | 'invert';
  /** Position of this step's timestep in `timesteps`: a sampling pass goes from the last down to 0. */
  readonly index: number;
  /** The timestep the model was asked at (timesteps[index]). */
  readonly t: number;
  /** The run's ascending timesteps. */
  readonly timesteps: readonly number[];
  /** T, the length of the model's chain. */
  readonly totalSteps: number;
  /** Items in this call, and values per item (C·H·W). */
  readonly count: number;
  readonly size: number;
  /** x_t of the items. */
  readonly x: Float32Array;
  /** The network's ε with each item's class, and without a class (other objectives are turned into ε first). */
  readonly epsCond: Float32Array;
  readonly epsUncond: Float32Array;
  /** Where the rule writes the guided ε. Items without a class get ε_u afterwards, whatever the rule wrote. */
  readonly out: Float32Array;
}

export interface GuidancePlugin<O = any> {
  readonly kind: 'guidance';
  readonly name: string;
  readonly description?: string;
  readonly options?: v.GenericSchema<unknown, O>;
  /** Write the guided ε of every item into `step.out`; float32 arithmetic as the engine's is up to the rule. */
  combine(step: GuidanceStep<O>): void;
}

const f32 = Math.fround;

/**
 * The original's classifier-free guidance (diffusions/classifier_free.py): ε = (1 − s)·ε_u + s·ε_c,
 * rounded to float32 per operation, over values [from, to) of the step (default: all). The
 * built-in `cfg` rule is this; a rule of your own can call it for the steps it guides.
 */
export function classifierFreeGuidance(step: GuidanceStep<unknown>, from = 0, to = step.count * step.size): void {
  const { epsCond, epsUncond, out } = step;
  const scale = f32(step.scale);
  const keep = f32(1 - step.scale);
  for (let j = from; j < to; j++) out[j] = f32(f32(keep * epsUncond[j]!) + f32(scale * epsCond[j]!));
}
