/**
 * The built-in modes, schedules and guidance rule, wired here at the edge: the core pipeline imports no
 * plugin, and the fronts (CLI, server, library entry) start from this registry.
 */
import { Registry } from '../core/registry.ts';
import type { Plugin } from '../core/plugin-api.ts';
import { cfg } from './guidance/cfg/index.ts';
import { ilvr } from './modes/ilvr/index.ts';
import { inpaint } from './modes/inpaint/index.ts';
import { interpolate } from './modes/interpolate/index.ts';
import { reconstruction } from './modes/reconstruction/index.ts';
import { sample } from './modes/sample/index.ts';
import { sdedit } from './modes/sdedit/index.ts';
import { trajectory } from './modes/trajectory/index.ts';
import { linspace } from './schedules/linspace/index.ts';
import { quad } from './schedules/quad/index.ts';
import { quadFloat32 } from './schedules/quad-float32/index.ts';
import { trailing } from './schedules/trailing/index.ts';
import { uniform } from './schedules/uniform/index.ts';
import { uniformLinspace } from './schedules/uniform-linspace/index.ts';
import { uniformTrailing } from './schedules/uniform-trailing/index.ts';

export const builtinPlugins: readonly Plugin[] = [
  sample,
  interpolate,
  reconstruction,
  sdedit,
  inpaint,
  ilvr,
  trajectory,
  uniform,
  quad,
  linspace,
  trailing,
  uniformLinspace,
  uniformTrailing,
  quadFloat32,
  cfg,
];

/**
 * A registry holding the built-in plugins; register or load your own on top.
 *
 * @example
 * const registry = createDefaultRegistry().register(myMode);
 */
export function createDefaultRegistry(): Registry {
  return new Registry().register(...builtinPlugins);
}
