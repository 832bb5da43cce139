/**
 * The original code base's current names for the timestep schedule: its samplers take
 * `respace_type` / `respace_steps` where the DDIM document's version (and this toolkit) say
 * `skip_type` / `skip_steps`. Each file, object and override is read with the old names
 * before layers merge, so a later layer wins whichever names either one uses.
 */
import { ConfigError } from '../errors.ts';
import { didYouMean } from '../suggest.ts';
import { describeValue } from './describe-value.ts';
import type { Override } from './overrides.ts';
import { isPlainObject } from './overrides.ts';

/**
 * Each respace_type and the schedule that computes the same timesteps (the original's
 * get_respaced_seq). `none` visits every timestep, as does any type without respace_steps.
 */
export const RESPACE_SCHEDULES: Readonly<Record<string, string>> = {
  uniform: 'uniform',
  'uniform-leading': 'uniform',
  'uniform-linspace': 'uniform-linspace',
  'uniform-trailing': 'uniform-trailing',
  quad: 'quad-float32',
  none: 'uniform',
};

const RESPACE_TYPE = 'diffusion.params.respace_type';
const RESPACE_STEPS = 'diffusion.params.respace_steps';

function scheduleFor(value: unknown, where: string): string {
  const names = Object.keys(RESPACE_SCHEDULES);
  if (value === null) return 'uniform';
  if (typeof value !== 'string' || !Object.hasOwn(RESPACE_SCHEDULES, value)) {
    const got = `${describeValue(value)}${typeof value === 'string' ? didYouMean(value, names) : ''}`;
    throw new ConfigError(`${where}: expected one of ${names.join('|')}, got ${got}`, { path: RESPACE_TYPE });
  }
  return RESPACE_SCHEDULES[value]!;
}

/** A config mapping with diffusion.params' respace_* keys read as skip_* (a copy where it changes). */
export function adoptRespaceNames(data: Record<string, unknown>, shown: string): Record<string, unknown> {
  const diffusion = data.diffusion;
  if (!isPlainObject(diffusion) || !isPlainObject(diffusion.params)) return data;
  const { respace_type, respace_steps, ...params } = diffusion.params;
  if (respace_type === undefined && respace_steps === undefined) return data;
  for (const [name, old] of [['respace_type', 'skip_type'], ['respace_steps', 'skip_steps']] as const) {
    if (diffusion.params[name] !== undefined && params[old] !== undefined) {
      throw new ConfigError(`${shown}: diffusion.params: ${name} and ${old} set the same thing; keep one`, { path: `diffusion.params.${name}` });
    }
  }
  if (respace_type !== undefined) params.skip_type = scheduleFor(respace_type, `${shown}: ${RESPACE_TYPE}`);
  if (respace_steps !== undefined) params.skip_steps = respace_steps;
  if (respace_type === 'none' || respace_type === null) params.skip_steps = null;
  return { ...data, diffusion: { ...diffusion, params } };
}

/** Overrides with respace_* paths (`--respace_type quad`) turned into the skip_* ones they mean. */
export function adoptRespaceOverrides(overrides: readonly Override[]): Override[] {
  return overrides.flatMap((override): Override[] => {
    if (override.path === RESPACE_STEPS) return [{ ...override, path: 'diffusion.params.skip_steps' }];
    if (override.path !== RESPACE_TYPE) return [override];
    const skipType: Override = { ...override, path: 'diffusion.params.skip_type', value: scheduleFor(override.value, override.origin) };
    const everyStep = override.value === 'none' || override.value === null;
    return everyStep ? [skipType, { ...override, path: 'diffusion.params.skip_steps', value: null }] : [skipType];
  });
}
