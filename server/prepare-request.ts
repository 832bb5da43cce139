/**
 * A validated request body turned into a prepared run: the request's fields applied to the
 * service's config as the CLI applies its flags, the pipeline's one prepare step, the
 * limits checked against the mode's declared cost, and the input images the mode declares.
 */
import { withOverrides } from '../core/config/load-config.ts';
import type { Override } from '../core/config/overrides.ts';
import { RUN_OPTIONS, runOptionOverrides } from '../core/config/run-options.ts';
import type { DdimConfig } from '../core/config/schema.ts';
import { isUserError } from '../core/errors.ts';
import type { Pipeline } from '../core/pipeline.ts';
import { type ModePlugin, modeInputs } from '../core/plugin.ts';
import type { PreparedRun } from '../core/run-types.ts';
import { pluginOptions } from '../core/registry.ts';
import { didYouMean } from '../core/suggest.ts';
import { decodeBase64 } from './base64.ts';
import { HttpError } from './http-error.ts';
import type { RequestBody } from './request-schemas.ts';
import type { PreparedRequest } from './request-types.ts';
import { type Upload, uploadImageSource } from './upload-images.ts';


/** The request field that sets a config path: `sampler.n_samples` -> `n_samples`. */
function fieldForConfigPath(path: string | undefined): string | undefined {
  if (!path) return undefined;
  if (path.startsWith('sampler.options.')) return `options.${path.slice('sampler.options.'.length)}`;
  return RUN_OPTIONS.find((option) => option.path === path)?.name;
}

/** A UserError from the config or a plugin as a 400 naming the request field; other errors as they are. */
function badRequest(error: unknown, fallbackField: string | undefined): unknown {
  if (error instanceof HttpError || !isUserError(error)) return error;
  // Schedules report `skip_steps: ...`: their first word is the field when it is one.
  const lead = /^([a-z_]+):/.exec(error.message)?.[1];
  const field = fieldForConfigPath(error.path) ?? (lead && RUN_OPTIONS.some((o) => o.name === lead) ? lead : fallbackField);
  return new HttpError(400, 'invalid_field', error.message, { field, cause: error });
}

function overridesFor(mode: ModePlugin, body: RequestBody, known: readonly string[]): Override[] {
  const { n_samples, seed, ddim_eta, skip_type, skip_steps, n_interpolate } = body;
  const overrides = runOptionOverrides({ n_samples, seed, ddim_eta, skip_type, skip_steps, n_interpolate });
  overrides.push({ path: 'sampler.mode', value: mode.name, origin: 'endpoint' });
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

/** The uploads of a mode that takes images (multipart files or base64 in JSON); none for the others. */
function requestUploads(mode: ModePlugin, body: RequestBody, uploads: readonly Upload[]): Upload[] {
  if (!modeInputs(mode).includes('images')) {
    if (uploads.length > 0) throw new HttpError(400, 'unknown_field', `images: /v1/${mode.name} takes no input images`, { field: 'images' });
    return [];
  }
  if (body.images && uploads.length > 0) {
    throw new HttpError(400, 'invalid_field', 'images: give images either as base64 in the JSON body or as multipart files, not both', { field: 'images' });
  }
  if (!body.images && uploads.length === 0) {
    throw new HttpError(400, 'missing_images', `images: ${mode.name} needs input images: upload files named "images" (multipart/form-data) or give base64 strings in "images"`, {
      field: 'images',
    });
  }
  if (!body.images) return [...uploads];
  return body.images.map((text, i) => {
    const bytes = decodeBase64(text);
    if (!bytes) throw new HttpError(400, 'invalid_image', `images[${i}]: not base64 (or a data: URL) of an image`, { field: `images[${i}]` });
    return { field: `images[${i}]`, name: `images[${i}]`, bytes };
  });
}

/** Options the request gives plugins this run does not use are checked too. */
function checkOtherOptions(pipeline: Pipeline, body: RequestBody, config: DdimConfig): void {
  const { registry } = pipeline;
  for (const name of Object.keys(body.options ?? {})) {
    const named = registry.names('mode').includes(name) ? registry.get('mode', name) : registry.get('schedule', name);
    pluginOptions(named, config.sampler.options[name], `sampler.options.${name}`);
  }
}

/** 413s for a request over the service's per-request limits, naming the field to lower. */
function checkLimits(pipeline: Pipeline, run: PreparedRun, body: RequestBody): void {
  const limits = pipeline.config.server;
  const steps = run.timesteps.length;
  if (steps > limits.max_steps_per_request) {
    throw new HttpError(413, 'too_many_steps', `skip_steps: this request makes ${steps} steps; at most ${limits.max_steps_per_request} are allowed (server.max_steps_per_request)`, {
      field: 'skip_steps',
    });
  }
  const { rows, rowsPerItem, rowsSetBy } = run.cost;
  const max = limits.max_samples_per_request;
  if (rows <= max) return;
  const count = run.plan.count;
  const takesImages = modeInputs(run.mode).includes('images');
  const field = rowsSetBy && count <= max ? rowsSetBy : takesImages && body.n_samples === undefined ? 'images' : 'n_samples';
  const what = rowsPerItem > 1 ? `${count} items of ${rowsPerItem} rows (${rows} samples)` : `${rows} samples`;
  throw new HttpError(413, 'too_many_samples', `${field}: this request makes ${what}; at most ${max} are allowed per request (server.max_samples_per_request)`, {
    field,
  });
}

/**
 * Turn a validated body into a prepared run: the per-request config, the pipeline's one
 * prepare step (mode, options, schedule, plan), the limits (413) and the input images.
 */
export async function prepareRequest(pipeline: Pipeline, mode: ModePlugin, body: RequestBody, uploads: readonly Upload[]): Promise<PreparedRequest> {
  const { registry } = pipeline;
  const known = [...registry.names('mode'), ...registry.names('schedule')];
  const overrides = overridesFor(mode, body, known);
  let config: DdimConfig;
  try {
    config = withOverrides(pipeline.config, overrides);
  } catch (error) {
    throw badRequest(error, undefined);
  }
  const given = requestUploads(mode, body, uploads);
  const { channels, height } = pipeline.model.info;
  const source = given.length > 0 ? uploadImageSource(given, height, channels) : undefined;
  let run: PreparedRun;
  try {
    checkOtherOptions(pipeline, body, config);
    run = await pipeline.prepare(config, { inputs: source });
  } catch (error) {
    throw badRequest(error, 'skip_steps');
  }
  checkLimits(pipeline, run, body);
  return { run, count: run.plan.count, rows: run.cost.rows, work: run.cost.work, previewEvery: body.preview_every, inputs: source };
}
