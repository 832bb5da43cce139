/**
 * A validated request body turned into a prepared run: the request's fields applied to the
 * service's config as the CLI applies its flags, the pipeline's one prepare step, the
 * limits checked against the mode's declared cost, and the input images the mode declares.
 */
import { withOverrides } from '../core/config/validate-config.ts';
import type { Override } from '../core/config/overrides.ts';
import { runOptionOverrides } from '../core/config/run-options.ts';
import type { DdimConfig } from '../core/config/schema.ts';
import { isUserError } from '../core/errors.ts';
import type { Pipeline } from '../core/pipeline.ts';
import { type ModePlugin, modeInputs } from '../core/plugin.ts';
import type { PreparedRun } from '../core/run-types.ts';
import { didYouMean } from '../core/suggest.ts';
import { HttpError } from './http-error.ts';
import { inRequestTerms, userErrorField } from './request-field.ts';
import type { RequestBody } from './request-schemas.ts';
import type { PreparedRequest } from './request-types.ts';
import type { Uploads } from './read-payload.ts';
import { requestInputs } from './request-inputs.ts';


/** A UserError from the config or a plugin as a 400 naming the request field; other errors as they are. */
function badRequest(error: unknown, modelPath: string): unknown {
  if (error instanceof HttpError || !isUserError(error)) return error;
  const { field, message } = userErrorField(error);
  return new HttpError(400, 'invalid_field', inRequestTerms(message, modelPath), { field, cause: error });
}

function overridesFor(mode: ModePlugin, body: RequestBody, known: readonly string[]): Override[] {
  const { n_samples, seed, ddim_eta, skip_type, skip_steps, n_interpolate, guidance_scale, n_samples_each_class, classes } = body;
  const overrides = runOptionOverrides({
    n_samples,
    seed,
    ddim_eta,
    skip_type,
    skip_steps,
    n_interpolate,
    class: body.class,
    classes,
    guidance_scale,
    n_samples_each_class,
  });
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

/** Options the request gives a plugin this run does not use would do nothing: a 400 rather than silence. */
function checkOptionsUsed(body: RequestBody, config: DdimConfig): void {
  const used = [config.sampler.mode, config.diffusion.params.skip_type];
  for (const name of Object.keys(body.options ?? {})) {
    if (used.includes(name)) continue;
    throw new HttpError(
      400,
      'unused_options',
      `options.${name}: this request does not use plugin "${name}" (mode "${used[0]}", schedule "${used[1]}"); leave its options out or choose it`,
      { field: `options.${name}` },
    );
  }
}

/** Rows the model carries for a run at each step: a guided row runs with and without its class. */
function modelRows(run: PreparedRun): number {
  return run.cost.rows * run.cost.guidanceRows;
}

/** The field that sets the item count when a class field does (classes, n_samples_each_class). */
function classCountField(body: RequestBody): string | undefined {
  if (body.classes !== undefined) return 'classes';
  return body.n_samples_each_class !== undefined ? 'n_samples_each_class' : undefined;
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
  const { rowsPerItem, rowsSetBy, guidanceRows } = run.cost;
  const rows = modelRows(run);
  const max = limits.max_samples_per_request;
  if (rows <= max) return;
  const count = run.plan.count;
  const takesImages = modeInputs(run.mode).includes('images');
  const countField = classCountField(body);
  // A count the request left to the server's config (its sampler.n_samples_each_class) is named as such.
  const perClassOfConfig = countField === undefined && body.class === undefined && run.config.sampler.n_samples_each_class !== null;
  const countSetBy = countField ?? (perClassOfConfig ? 'n_samples_each_class' : takesImages && body.n_samples === undefined ? 'images' : 'n_samples');
  const field = rowsSetBy && count * guidanceRows <= max ? rowsSetBy : countSetBy;
  const source = field === 'n_samples_each_class' && perClassOfConfig ? ` (the server's config sets sampler.n_samples_each_class ${run.config.sampler.n_samples_each_class}; give class, classes or a smaller n_samples_each_class)` : '';
  const items = rowsPerItem > 1 ? `${count} items of ${rowsPerItem} rows` : `${count} items`;
  const guided = guidanceRows > 1 ? `, each row run with and without its class (guidance_scale ${run.config.sampler.guidance_scale})` : '';
  const what = rowsPerItem > 1 || guidanceRows > 1 ? `${items}${guided} (${rows} samples)` : `${rows} samples`;
  throw new HttpError(413, 'too_many_samples', `${field}: this request makes ${what}; at most ${max} are allowed per request (server.max_samples_per_request)${source}`, {
    field,
  });
}

/**
 * Turn a validated body into a prepared run: the per-request config, the pipeline's one
 * prepare step (mode, options, schedule, plan), the limits (413) and the input images.
 */
export async function prepareRequest(pipeline: Pipeline, mode: ModePlugin, body: RequestBody, uploads: Uploads): Promise<PreparedRequest> {
  const { registry } = pipeline;
  const known = [...registry.names('mode'), ...registry.names('schedule')];
  const overrides = overridesFor(mode, body, known);
  let config: DdimConfig;
  try {
    config = withOverrides(pipeline.config, overrides);
  } catch (error) {
    throw badRequest(error, pipeline.model.info.path);
  }
  checkOptionsUsed(body, config);
  const inputs = requestInputs(mode, body, uploads, pipeline.model.info, pipeline.host);
  let run: PreparedRun;
  try {
    run = await pipeline.prepare(config, { inputs: inputs.images, masks: inputs.masks, nSamplesAsked: body.n_samples !== undefined });
  } catch (error) {
    throw badRequest(error, pipeline.model.info.path);
  }
  checkLimits(pipeline, run, body);
  const uploaded = [inputs.images, inputs.masks].filter((source) => source !== undefined);
  let pixels = 0;
  for (const source of uploaded) pixels += await source.measure(run.plan.count);
  return { run, count: run.plan.count, rows: modelRows(run), work: run.cost.work, pixels, previewEvery: body.preview_every, uploads: uploaded };
}
