/**
 * The guidance-rule contract: how a conditional network's two outputs become the ε a guided
 * DDIM step takes. The built-in `cfg` rule is the original's ε = (1 − s)·ε_u + s·ε_c; a
 * plugin may combine them otherwise (a window of steps, a rescale). The step a rule is handed,
 * and the built-in rule, live with the engine's guidance math (./math/guidance.ts).
 */
import type * as v from 'valibot';
import type { GuidanceStep } from './math/guidance.ts';

export { classifierFreeGuidance, type GuidanceStep } from './math/guidance.ts';

export interface GuidancePlugin<O = any> {
  readonly kind: 'guidance';
  readonly name: string;
  readonly description?: string;
  readonly options?: v.GenericSchema<unknown, O>;
  /** Write the guided ε of every item into `step.out`; float32 arithmetic as the engine's is up to the rule. */
  combine(step: GuidanceStep<O>): void;
}

/** A guidance rule and its validated options, as a run resolved them. */
export interface GuidanceChoice {
  readonly rule: GuidancePlugin;
  readonly options: unknown;
}
