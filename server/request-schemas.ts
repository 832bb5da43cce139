/**
 * The HTTP API's bodies as valibot schemas: requests are validated with them, and
 * /openapi.json is generated from them, so the documentation cannot drift from the checks.
 *
 * Request fields are the CLI's flags by the same names (see RUN_OPTIONS); what a flag can
 * set that a request must not (the model, files, plugins) is refused by name.
 */
import * as v from 'valibot';
import { findRunOption } from '../core/config/run-options.ts';

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

export const SampleRequestSchema = v.pipe(
  v.strictObject(SHARED_FIELDS),
  v.title('SampleRequest'),
  v.description('POST /v1/sample: n_samples images from seeded noise. Fields left out take the config\'s values, as with the CLI.'),
);

export const InterpolateRequestSchema = v.pipe(
  v.strictObject({ ...SHARED_FIELDS, n_interpolate: v.optional(v.pipe(integer(2), help('n_interpolate'))) }),
  v.title('InterpolateRequest'),
  v.description('POST /v1/interpolate: n_samples rows of n_interpolate frames, slerp between two noises per row.'),
);

export const ReconstructionRequestSchema = v.pipe(
  v.strictObject({
    ...SHARED_FIELDS,
    images: v.optional(
      v.pipe(
        v.array(v.pipe(v.string(), v.nonEmpty('expected base64 image data'))),
        v.minLength(1, 'expected at least one image'),
        v.description('input images (PNG, JPEG or WebP) as base64 or data: URLs; or upload them as multipart/form-data files named "images"'),
      ),
    ),
  }),
  v.title('ReconstructionRequest'),
  v.description('POST /v1/reconstruction: DDIM-invert the first n_samples images, then sample them back.'),
);

export type SampleRequest = v.InferOutput<typeof SampleRequestSchema>;
export type InterpolateRequest = v.InferOutput<typeof InterpolateRequestSchema>;
export type ReconstructionRequest = v.InferOutput<typeof ReconstructionRequestSchema>;
/** The union of every endpoint's fields. */
export type RequestBody = SampleRequest & Partial<InterpolateRequest> & Partial<ReconstructionRequest>;

export const REQUEST_SCHEMAS = {
  sample: SampleRequestSchema,
  interpolate: InterpolateRequestSchema,
  reconstruction: ReconstructionRequestSchema,
} as const;

export type EndpointMode = keyof typeof REQUEST_SCHEMAS;
export const ENDPOINT_MODES = Object.keys(REQUEST_SCHEMAS) as EndpointMode[];

// ---- answers (documentation, and checked against real answers in the tests) ----

export const ResultSchema = v.pipe(
  v.object({
    id: v.string(),
    mode: v.string(),
    seed: v.number(),
    timesteps: v.array(v.number()),
    count: v.pipe(v.number(), v.description('result items: images, interpolation rows or input|reconstruction pairs')),
    picture: v.object({ width: v.number(), height: v.number(), channels: v.number() }),
    images: v.array(
      v.object({
        index: v.number(),
        png: v.pipe(v.string(), v.description('the PNG file, base64: byte-identical to {index}.png of the CLI run with the same flags')),
      }),
    ),
    model: v.object({ sha256: v.string() }),
    timings: v.object({ total_ms: v.number(), items_per_second: v.number() }),
  }),
  v.title('Result'),
);

export const ErrorSchema = v.pipe(
  v.object({
    error: v.object({
      status: v.number(),
      code: v.string(),
      message: v.string(),
      field: v.optional(v.pipe(v.string(), v.description('the request field at fault, e.g. n_samples, options.quad.x, images[2]'))),
      issues: v.optional(v.array(v.object({ field: v.optional(v.string()), message: v.string() }))),
    }),
  }),
  v.title('Error'),
);

export const ProgressEventSchema = v.pipe(
  v.object({
    direction: v.picklist(['sample', 'invert']),
    step: v.number(),
    steps: v.number(),
    batch: v.number(),
    items_done: v.number(),
    items: v.number(),
    elapsed_ms: v.number(),
  }),
  v.title('ProgressEvent'),
  v.description('text/event-stream `event: progress`, one per model step of each micro-batch'),
);

export const PreviewEventSchema = v.pipe(
  v.object({ step: v.number(), steps: v.number(), images: v.array(v.string()) }),
  v.title('PreviewEvent'),
  v.description('text/event-stream `event: preview`: the clipped x0 prediction of each sample in flight, as base64 PNGs'),
);

export const HealthSchema = v.pipe(
  v.object({
    status: v.picklist(['ok', 'draining']),
    model: v.object({ file: v.string(), sha256: v.string(), channels: v.number(), height: v.number(), width: v.number() }),
    in_flight: v.object({ requests: v.number(), samples: v.number() }),
    requests: v.object({
      completed: v.number(),
      failed: v.number(),
      rejected: v.number(),
      cancelled: v.object({ client: v.number(), timeout: v.number(), shutdown: v.number() }),
    }),
    scheduler: v.object({
      max_batch: v.number(),
      model_calls: v.number(),
      rows: v.number(),
      mixed_calls: v.number(),
      shared_calls: v.number(),
      largest_batch: v.number(),
      queued_rows: v.number(),
    }),
    limits: v.record(v.string(), v.unknown()),
  }),
  v.title('Health'),
);

const PluginInfoSchema = v.object({
  name: v.string(),
  description: v.optional(v.string()),
  options: v.pipe(v.unknown(), v.description('JSON Schema of the plugin\'s options (null: none)')),
});

export const PluginsSchema = v.pipe(
  v.object({ modes: v.array(PluginInfoSchema), schedules: v.array(PluginInfoSchema) }),
  v.title('Plugins'),
);
