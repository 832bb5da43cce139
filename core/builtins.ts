/** The plugins every registry starts with, registered like any third-party plugin. */
import { interpolate } from '../plugins/modes/interpolate/index.ts';
import { reconstruction } from '../plugins/modes/reconstruction/index.ts';
import { sample } from '../plugins/modes/sample/index.ts';
import { linspace } from '../plugins/schedules/linspace/index.ts';
import { quad } from '../plugins/schedules/quad/index.ts';
import { trailing } from '../plugins/schedules/trailing/index.ts';
import { uniform } from '../plugins/schedules/uniform/index.ts';
import type { Plugin } from './plugin.ts';

export const builtinPlugins: readonly Plugin[] = [sample, interpolate, reconstruction, uniform, quad, linspace, trailing];
