/**
 * ddim-plugin-example: what `plugins: [ddim-plugin-example]` (or `--plugin ddim-plugin-example`)
 * loads. The toolkit registers the `plugins` array, a mode and a schedule.
 */
import type { Plugin } from 'ddim-toolkit';
import { antithetic } from './antithetic.ts';
import { stride } from './stride.ts';

export { antithetic, stride };
export type { StrideOptions } from './stride.ts';

export const plugins: readonly Plugin[] = [antithetic, stride];

export default plugins;
