/**
 * The HTTP API's answers as valibot schemas: /openapi.json documents them, and the tests
 * check real answers against them.
 */
import * as v from 'valibot';

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
        class: v.optional(
          v.pipe(v.number(), v.description('a conditional model\'s run: the class of this item (with n_samples_each_class the CLI writes it to class{class}/)')),
        ),
      }),
    ),
    model: v.object({ sha256: v.string() }),
    warnings: v.pipe(
      v.array(v.string()),
      v.description('what the run passed over or changed without failing, one line each: fewer results than n_samples, masks resized and cropped'),
    ),
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
    model: v.object({
      file: v.string(),
      sha256: v.string(),
      channels: v.number(),
      height: v.number(),
      width: v.number(),
      classes: v.pipe(
        v.nullable(
          v.object({
            num_classes: v.number(),
            names: v.pipe(v.array(v.string()), v.description('class c is names[c]; a request\'s class or classes takes the index or the name')),
            null_class: v.pipe(v.number(), v.description('the label the network takes for "no class" (the unconditional rows of guidance)')),
          }),
        ),
        v.description('a class-conditional model\'s classes (requests may set class, classes, guidance_scale); null for an unconditional model'),
      ),
    }),
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
  v.object({ modes: v.array(PluginInfoSchema), schedules: v.array(PluginInfoSchema), guidance: v.array(PluginInfoSchema) }),
  v.title('Plugins'),
);
