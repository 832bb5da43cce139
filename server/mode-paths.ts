/** Paths under /v1 that are not modes: a mode of such a name is served under /v1/modes/ only. */
const RESERVED = ['health', 'plugins', 'modes', 'run'];

/** The route of the service's default mode, the config's sampler.mode. */
export const DEFAULT_MODE_PATH = '/v1/run';

/** Where a mode is served: /v1/modes/{name} always, and /v1/{name} when that path is free. */
export function modePaths(mode: string): string[] {
  const canonical = `/v1/modes/${mode}`;
  return RESERVED.includes(mode) ? [canonical] : [`/v1/${mode}`, canonical];
}
