/**
 * The HTTP API's request bodies as valibot schemas, one per registered mode, built from
 * what the mode declares (the run options it reads, the inputs it takes): requests are
 * validated with them and /openapi.json is generated from them, so the documentation
 * cannot drift from the checks. Fields are the CLI's flags by the same names (see
 * RUN_OPTIONS); what a flag can set that a request must not (the model, files, plugins)
 * is refused by name.
 */
import * as v from 'valibot';
import { findRunOption } from '../core/config/run-options.ts';
import { type ModePlugin, modeInputs } from '../core/plugin.ts';
import type { Registry } from '../core/registry.ts';

const integer = (min: number) => v.pipe(v.number(), v.integer('expected an integer'), v.minValue(min, `expected an integer >= ${min}`));

/** The CLI flag's help text, so both fronts describe an option the same way. */
function help<T>(name: string) {
  return v.description<T, string>(findRunOption(name)?.help ?? name);
}

const KEY = /^[A-Za-z_][\w-]*$/;
const key = v.pipe(v.string(), v.regex(KEY, 'expected a plain key (letters, digits, _ and -)'));

// valibot's record schema takes a list too (as an object of its indices); options are never lists.
const plainObject = v.custom<Record<string, unknown>>(
  (input) => typeof input === 'object' && input !== null && !Array.isArray(input),
  'expected an object',
);

/** Fields of every mode's request: the common run options, plugin options and previews. */
const SHARED_FIELDS = {
  n_samples: v.optional(v.pipe(integer(1), help('n_samples'))),
  seed: v.optional(v.pipe(integer(0), v.maxValue(Number.MAX_SAFE_INTEGER, 'expected an integer <= 2^53 - 1'), help('seed'))),
  ddim_eta: v.optional(
    v.pipe(v.number(), v.minValue(0, 'expected eta in [0, 1]'), v.maxValue(1, 'expected eta in [0, 1]'), help('ddim_eta')),
  ),
  skip_type: v.optional(v.pipe(v.string(), v.nonEmpty('expected a schedule name'), help('skip_type'))),
  skip_steps: v.optional(v.nullable(v.pipe(integer(1), help('skip_steps')))),
  options: v.optional(
    v.pipe(
      plainObject,
      v.record(key, v.pipe(plainObject, v.record(key, v.unknown()))),
      v.description("options of plugins, keyed by plugin name (the config's sampler.options), e.g. {\"quad\": {}}"),
    ),
  ),
  preview_every: v.optional(
    v.pipe(integer(1), v.description('text/event-stream only: a preview of the predicted x0 every k sampling steps')),
  ),
};

/** A class of a conditional model: its index or its name (GET /v1/health lists them). */
const classValue = v.union(
  [integer(0), v.pipe(v.string(), v.nonEmpty('expected a class name'))],
  'expected a class index (an integer >= 0) or a class name',
);

/** Run options beyond the common ones that a request may set, for the modes that read them. */
const MODE_FIELDS: Record<string, v.GenericSchema> = {
  n_interpolate: v.optional(v.pipe(integer(2), help('n_interpolate'))),
  class: v.optional(v.pipe(classValue, help('class'))),
  classes: v.optional(
    v.pipe(
      v.array(classValue),
      v.minLength(1, 'expected at least one class'),
      v.description('conditional model: the class (index or name) of each item in turn; sets n_samples to their number'),
    ),
  ),
  guidance_scale: v.optional(v.pipe(v.number(), v.finite('expected a finite number'), help('guidance_scale'))),
  n_samples_each_class: v.optional(v.pipe(integer(1), help('n_samples_each_class'))),
};

const base64Images = (description: string) =>
  v.optional(
    v.pipe(
      v.array(v.pipe(v.string(), v.nonEmpty('expected base64 image data'))),
      v.minLength(1, 'expected at least one image'),
      v.description(description),
    ),
  );

/** The request field of each mode input. */
const INPUT_FIELDS = {
  images: base64Images('input images (PNG, JPEG or WebP) as base64 or data: URLs; or upload them as multipart/form-data files named "images"'),
  masks: base64Images(
    'masks (white = keep), one per input image or one for all, as base64 or data: URLs; or upload them as multipart/form-data files named "masks"',
  ),
};

export type RequestSchema = v.GenericSchema<unknown, RequestBody> & { readonly entries: Record<string, v.GenericSchema> };

/** The union of every mode's fields, as a request handler sees a validated body. */
export interface RequestBody extends v.InferOutput<v.ObjectSchema<typeof SHARED_FIELDS, undefined>> {
  readonly n_interpolate?: number;
  readonly class?: number | string;
  readonly classes?: readonly (number | string)[];
  readonly guidance_scale?: number;
  readonly n_samples_each_class?: number;
  readonly images?: readonly string[];
  readonly masks?: readonly string[];
}

/** The request body schema of one mode, from what it declares. */
export function requestSchemaFor(mode: ModePlugin): RequestSchema {
  const entries: Record<string, v.GenericSchema> = { ...SHARED_FIELDS };
  for (const name of mode.reads ?? []) {
    const field = Object.hasOwn(MODE_FIELDS, name) ? MODE_FIELDS[name] : undefined;
    if (field) entries[name] = field;
  }
  for (const input of modeInputs(mode)) entries[input] = INPUT_FIELDS[input];
  // Built from a dynamic list of fields, each optional and typed as in RequestBody: valibot
  // cannot infer that from a record of entries, so the type is stated here, once.
  return v.strictObject(entries) as unknown as RequestSchema;
}

/** Every registered mode's request schema, by mode name, in registration order. */
export function requestSchemas(registry: Registry): ReadonlyMap<string, RequestSchema> {
  return new Map(registry.list('mode').map((mode) => [mode.name, requestSchemaFor(mode)]));
}

/** The OpenAPI component name of a mode's request: `sample` -> `SampleRequest`. */
export function requestSchemaName(mode: string): string {
  return `${mode.replace(/(^|[-_])(\w)/g, (_, _sep: string, c: string) => c.toUpperCase())}Request`;
}
