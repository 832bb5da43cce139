import { classifierFreeGuidance, defineGuidance } from '../../../core/plugin-api.ts';

/** The original's classifier-free guidance, the default rule: ε = (1 − s)·ε_u + s·ε_c at every step. */
export const cfg = defineGuidance({
  name: 'cfg',
  description: "the original's classifier-free guidance: eps = (1 - s)·eps_u + s·eps_c at every step",
  combine: classifierFreeGuidance,
});

export default cfg;
