import { RUN_OPTIONS, runOptionOverrides } from '../core/config/run-options.ts';
import { applyOverrides, validateConfig } from '../core/config/load-config.ts';
import type { Override } from '../core/config/overrides.ts';
import type { DdimConfig } from '../core/config/schema.ts';
import { isUserError } from '../core/errors.ts';
import type { Pipeline } from '../core/pipeline.ts';
import type { ImageSource } from '../core/plugin.ts';
import { pluginOptions } from '../core/registry.ts';
import { didYouMean } from '../core/suggest.ts';
import { decodeBase64 } from './base64.ts';
import { HttpError } from './http-error.ts';
import type { EndpointMode, RequestBody } from './request-schemas.ts';
import { type Upload, decodeUploads } from './upload-images.ts';

/** A validated request, ready to be admitted and run. */
export interface PreparedRequest {
  readonly mode: EndpointMode;
  /** The service's config with the request's fields applied, exactly as the CLI applies its flags. */
  readonly config: DdimConfig;
  readonly timesteps: readonly number[];
  /** Result items (PNG files the CLI would write). */
  readonly count: number;
  /** Samples the model carries at each step (interpolation: every frame). */
  readonly rows: number;
  /** Model rows over the whole run: rows · model calls per row. */
  readonly work: number;
  readonly previewEvery: number | undefined;
  /** Undecoded input images (reconstruction). */
  readonly uploads: readonly Upload[];
}

/** The request field that sets a config path: `sampler.n_samples` -> `n_samples`. */
function fieldForConfigPath(path: string | undefined): string | undefined {
  if (!path) return undefined;
  if (path.startsWith('sampler.options.')) return `options.${path.slice('sampler.options.'.length)}`;
  return RUN_OPTIONS.find((option) => option.path === path)?.name;
}

/** A UserError from the config or a plugin, as a 400 naming the request field. */
function asBadRequest(error: unknown, fallbackField: string | undefined): never {
  if (error instanceof HttpError) throw error;
  if (!isUserError(error)) throw error;
  // Schedules report `skip_steps: ...`: their first word is the field when it is one.
  const lead = /^([a-z_]+):/.exec(error.message)?.[1];
  const field = fieldForConfigPath(error.path) ?? (lead && RUN_OPTIONS.some((o) => o.name === lead) ? lead : fallbackField);
  throw new HttpError(400, 'invalid_field', error.message, { field, cause: error });
}

function overridesFor(mode: EndpointMode, body: RequestBody, known: readonly string[]): Override[] {
  const { n_samples, seed, ddim_eta, skip_type, skip_steps, n_interpolate } = body;
  const overrides = runOptionOverrides({ n_samples, seed, ddim_eta, skip_type, skip_steps, n_interpolate });
  overrides.push({ path: 'sampler.mode', value: mode, origin: 'endpoint' });
  for (const [plugin, options] of Object.entries(body.options ?? {})) {
    if (!known.includes(plugin)) {
      throw new HttpError(400, 'unknown_plugin', `options.${plugin}: unknown plugin. Must be one of [${known.join(', ')}]${didYouMean(plugin, known)}`, {
        field: `options.${plugin}`,
      });
    }
    // Key by key, so a request's options refine the config's options of the same plugin.
    for (const [key, value] of Object.entries(options)) {
      overrides.push({ path: `sampler.options.${plugin}.${key}`, value, origin: `options.${plugin}.${key}` });
    }
  }
  return overrides;
}

/**
 * Turn a validated body into a run: the per-request config (the CLI's overrides, on the
 * service's config), the schedule and plugin options checked, the limits enforced (413),
 * input images decoded (400 naming the bad one).
 */
export async function prepareRequest(
  pipeline: Pipeline,
  mode: EndpointMode,
  body: RequestBody,
  uploads: readonly Upload[],
): Promise<PreparedRequest> {
  const limits = pipeline.config.server;
  const registry = pipeline.registry;
  const known = [...registry.names('mode'), ...registry.names('schedule')];
  const overrides = overridesFor(mode, body, known);
  let config: DdimConfig;
  let timesteps: number[];
  try {
    const layer = applyOverrides({ data: pipeline.config as unknown as Record<string, unknown>, origins: new Map() }, overrides, '/');
    config = validateConfig(layer.data, layer.origins);
  } catch (error) {
    asBadRequest(error, undefined);
  }
  try {
    const plugin = registry.get('mode', mode, 'sampler.mode');
    pluginOptions(plugin, config.sampler.options[plugin.name], `sampler.options.${plugin.name}`);
    // Options the request gives any other plugin are checked too, though this run may not use them.
    for (const name of Object.keys(body.options ?? {})) {
      const named = registry.names('mode').includes(name) ? registry.get('mode', name) : registry.get('schedule', name);
      pluginOptions(named, config.sampler.options[name], `sampler.options.${name}`);
    }
    timesteps = pipeline.timesteps(config);
  } catch (error) {
    asBadRequest(error, 'skip_steps');
  }

  const steps = timesteps.length;
  if (steps > limits.max_steps_per_request) {
    throw new HttpError(413, 'too_many_steps', `skip_steps: this request makes ${steps} steps; at most ${limits.max_steps_per_request} are allowed (server.max_steps_per_request)`, {
      field: 'skip_steps',
    });
  }

  if (mode === 'reconstruction') {
    if (body.images && uploads.length > 0) {
      throw new HttpError(400, 'invalid_field', 'images: give images either as base64 in the JSON body or as multipart files, not both', { field: 'images' });
    }
    if (!body.images && uploads.length === 0) {
      throw new HttpError(400, 'missing_images', 'images: reconstruction needs input images: upload files named "images" (multipart/form-data) or give base64 strings in "images"', {
        field: 'images',
      });
    }
  } else if (uploads.length > 0) {
    throw new HttpError(400, 'unknown_field', `images: /v1/${mode} takes no input images`, { field: 'images' });
  }
  const given: Upload[] = body.images
    ? body.images.map((text, i) => {
        const bytes = decodeBase64(text);
        if (!bytes) throw new HttpError(400, 'invalid_image', `images[${i}]: not base64 (or a data: URL) of an image`, { field: `images[${i}]` });
        return { field: `images[${i}]`, name: `images[${i}]`, bytes };
      })
    : [...uploads];

  const nSamples = config.sampler.n_samples;
  const frames = mode === 'interpolate' ? config.sampler.n_interpolate : 1;
  // Reconstruction uses the first n_samples inputs, as the CLI does with --input_dir.
  const count = mode === 'reconstruction' ? Math.min(nSamples, given.length) : nSamples;
  const rows = count * frames;
  const max = limits.max_samples_per_request;
  if (rows > max) {
    const field = mode === 'interpolate' && nSamples <= max ? 'n_interpolate' : mode === 'reconstruction' && body.n_samples === undefined ? 'images' : 'n_samples';
    const what = mode === 'interpolate' ? `${count} rows of ${frames} frames (${rows} samples)` : `${rows} samples`;
    throw new HttpError(413, 'too_many_samples', `${field}: this request makes ${what}; at most ${max} are allowed per request (server.max_samples_per_request)`, {
      field,
    });
  }
  const callsPerRow = mode === 'reconstruction' ? 2 * steps - 1 : steps;
  return {
    mode,
    config,
    timesteps,
    count,
    rows,
    work: rows * callsPerRow,
    previewEvery: body.preview_every,
    uploads: given.slice(0, count),
  };
}

/** Decode a prepared request's input images (after admission: decoding costs CPU). */
export async function requestInputs(prepared: PreparedRequest, pipeline: Pipeline): Promise<ImageSource | undefined> {
  if (prepared.uploads.length === 0) return undefined;
  const { channels, height } = pipeline.model.info;
  return decodeUploads(prepared.uploads, height, channels);
}
