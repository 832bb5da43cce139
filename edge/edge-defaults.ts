/**
 * What the edge module runs by default and at most. An edge isolate is shared and runs the
 * model on its request thread, so a request's default is small and each model call is short
 * (max_batch rows): between calls the isolate answers health checks and notices hang-ups.
 */
import type { DdimConfig } from '../core/config/schema.ts';
import { configFromObject, deepMerge, parseConfigYaml } from '../core/config/validate-config.ts';

export interface EdgeDefaults {
  /** Request defaults (the shipped config's n_samples of 64 is a batch for the CLI). */
  readonly sampler: { readonly n_samples: number; readonly n_interpolate: number };
  /** server.* limits, as in a config file (see server/openapi.ts for what each one refuses). */
  readonly server: {
    readonly max_batch: number;
    readonly max_samples_per_request: number;
    readonly max_steps_per_request: number;
    readonly max_queued_samples: number;
    readonly max_body_bytes: number;
    readonly request_timeout_ms: number;
  };
}

export const EDGE_DEFAULTS: EdgeDefaults = {
  // n_interpolate 4: the default interpolation (4 pairs of 4 frames) is within the request cap.
  sampler: { n_samples: 4, n_interpolate: 4 },
  server: {
    // One row per model call: a call of the shipped model takes ~35 ms of WebAssembly (batch 1,
    // 2 shared cores), and each row costs the same in any batch, so nothing is lost by it.
    max_batch: 1,
    max_samples_per_request: 16,
    // The model's own default (50 steps); the full 1000-step chain is for the CLI or `ddim serve`.
    max_steps_per_request: 50,
    max_queued_samples: 32,
    max_body_bytes: 1024 * 1024,
    request_timeout_ms: 60_000,
  },
};

/**
 * The config YAML with the edge's defaults and limits put over it (the model's own keys,
 * such as its default step count, stay).
 *
 * @example const config = edgeConfig(await (await fetch(url)).text());
 */
export function edgeConfig(text: string, defaults: EdgeDefaults = EDGE_DEFAULTS, onWarning?: (message: string) => void): DdimConfig {
  const data = parseConfigYaml(text, 'config');
  return configFromObject(deepMerge(data, defaults as unknown as Record<string, unknown>), { onWarning });
}
