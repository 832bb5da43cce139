/**
 * ddim-plugin-example: what `plugins: [ddim-plugin-example]` (or `--plugin ddim-plugin-example`)
 * loads. The toolkit registers the `plugins` array: a mode, a schedule and a guidance rule.
 */
import type { Plugin } from 'ddim-toolkit';
import { antithetic } from './antithetic.ts';
import { guidanceWindow } from './guidance-window.ts';
import { stride } from './stride.ts';

export { antithetic, guidanceWindow, stride };
export type { GuidanceWindowOptions } from './guidance-window.ts';
export type { StrideOptions } from './stride.ts';

export const plugins: readonly Plugin[] = [antithetic, stride, guidanceWindow];

export default plugins;
