/**
 * The `guidance-window` rule: classifier-free guidance only while the timestep is inside a
 * window of the chain, and the conditional ε alone (s = 1) outside it. Guiding only part of
 * the noise levels is the idea of "Applying Guidance in a Limited Interval Improves Sample
 * and Distribution Quality in Diffusion Models" (Kynkäänniemi et al., 2024).
 */
import * as v from 'valibot';
import { classifierFreeGuidance, defineGuidance } from 'ddim-toolkit';

const fraction = (name: string) =>
  v.optional(v.pipe(v.number(), v.minValue(0, `${name} must be in [0, 1]`), v.maxValue(1, `${name} must be in [0, 1]`)), name === 'from' ? 0 : 1);

// Strict: a misspelt key is an error, not a silent default.
const options = v.pipe(
  v.strictObject({
    /** The window is from·T ≤ t < to·T, as fractions of the chain's T steps. */
    from: fraction('from'),
    to: fraction('to'),
  }),
  // Reported at `to` with its value, so the message names the key to change.
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed || dataset.value.from <= dataset.value.to) return;
    const { from, to } = dataset.value;
    const path = [{ type: 'object', origin: 'value', input: dataset.value, key: 'to', value: to }] as const;
    addIssue({ message: `to must be >= from (${from})`, input: to, received: String(to), path: [...path] });
  }),
);

export type GuidanceWindowOptions = v.InferOutput<typeof options>;

export const guidanceWindow = defineGuidance({
  name: 'guidance-window',
  description: 'guidance (the original rule) only for from·T <= t < to·T, the conditional eps (s = 1) elsewhere',
  options,
  combine(step) {
    const { t, totalSteps, options } = step;
    if (t >= options.from * totalSteps && t < options.to * totalSteps) {
      classifierFreeGuidance(step);
      return;
    }
    const { epsCond, out } = step;
    for (let j = 0, end = step.count * step.size; j < end; j++) out[j] = epsCond[j]!;
  },
});

export default guidanceWindow;
