/**
 * The config DSL: the original code base's YAML layout, plus the toolkit's own keys
 * under `sampler:`, `server:` and `plugins:`. Training-only sections are accepted as
 * they are and ignored.
 */
import * as v from 'valibot';
import { BETA_SCHEDULES } from '../math/betas.ts';
import { OBJECTIVES } from '../math/ddim-step.ts';
import { EXECUTION_PROVIDERS, MODEL_BACKENDS } from '../model/model.ts';
import { parseShard } from '../sinks/shard.ts';

const integer = (min: number) => v.pipe(v.number(), v.integer('expected an integer'), v.minValue(min, `expected an integer >= ${min}`));
/** micro_batch when none is given: capped by the run's rows, and for a shard fitted to its range. */
export const DEFAULT_MICRO_BATCH = 500;

const positive = v.pipe(v.number(), v.gtValue(0, 'expected a number > 0'));

export const DataSchema = v.looseObject({
  /** The dataset's arguments, where the current original code base puts img_size (read as data.img_size). */
  params: v.optional(v.looseObject({ img_size: v.optional(integer(1)) })),
  img_size: integer(1),
  img_channels: integer(1),
  /** Classes of a class-conditional network (the original's configs have it; unconditional models ignore it). */
  num_classes: v.optional(integer(1)),
  /** Their names, in label order (default: the model card's, else "0", "1", …). */
  class_names: v.optional(v.array(v.string())),
});

/** The original's network section is training-only, but for the label a conditional network takes for "no class". */
export const ModelSchema = v.looseObject({
  /** Default −1 (what tools/export_onnx.py's masked class embedding takes); DiT-style networks: num_classes. */
  null_class: v.optional(v.nullable(v.pipe(v.number(), v.integer('expected an integer')))),
});

export const DiffusionParamsSchema = v.strictObject({
  total_steps: v.optional(integer(1), 1000),
  beta_schedule: v.optional(v.picklist(BETA_SCHEDULES), 'linear'),
  beta_start: v.optional(positive, 0.0001),
  beta_end: v.optional(positive, 0.02),
  /** An explicit β list; overrides beta_schedule. */
  betas: v.optional(v.array(v.pipe(v.number(), v.gtValue(0), v.ltValue(1, 'expected each beta in (0, 1)')))),
  objective: v.optional(v.picklist(OBJECTIVES), 'pred_eps'),
  /** DDPM's posterior variance choice: read by DDPM, not by DDIM (kept so original files load). */
  var_type: v.optional(v.string()),
  clip_denoised: v.optional(v.boolean(), true),
  /** A schedule plugin's name (validated against the registry at run time). */
  skip_type: v.optional(v.string(), 'uniform'),
  /** Number of sampling steps; null: every timestep. */
  skip_steps: v.optional(v.nullable(integer(1)), null),
  eta: v.optional(v.pipe(v.number(), v.minValue(0, 'expected eta in [0, 1]'), v.maxValue(1, 'expected eta in [0, 1]')), 0),
});

export const SamplerSchema = v.strictObject({
  /** The ONNX model file. */
  weights: v.optional(v.nullable(v.string()), null),
  /** native: onnxruntime-node; web: onnxruntime-web (WebAssembly), which needs no native addon. */
  backend: v.optional(v.picklist(MODEL_BACKENDS), 'native'),
  /**
   * In fallback order. cuda alone fails where CUDA is missing; webgpu alone falls back to the CPU.
   * The web backend runs webgpu where an adapter exists and WebAssembly for everything else.
   */
  providers: v.optional(v.pipe(v.array(v.picklist(EXECUTION_PROVIDERS)), v.minLength(1, 'expected at least one provider')), ['cpu']),
  intra_op_threads: v.optional(integer(0), 0),
  inter_op_threads: v.optional(integer(1), 1),
  micro_batch: v.optional(integer(1), DEFAULT_MICRO_BATCH),
  n_samples: v.optional(integer(1), 16),
  /** A mode plugin's name (validated against the registry at run time). */
  mode: v.optional(v.string(), 'sample'),
  n_interpolate: v.optional(integer(2), 16),
  input_dir: v.optional(v.nullable(v.string()), null),
  /** Masks for the modes that take them (inpainting): one per input image, by the same relative name. */
  mask_dir: v.optional(v.nullable(v.string()), null),
  /** One mask for every input image (instead of mask_dir). */
  mask: v.optional(v.nullable(v.string()), null),
  save_dir: v.optional(v.string(), 'samples'),
  save_npy: v.optional(v.boolean(), false),
  /** A .npy file of initial noises x_T, used instead of the seeded ones. */
  noise: v.optional(v.nullable(v.string()), null),
  /** Classifier-free guidance scale s of a conditional model (the original's): 0 unconditional, 1 conditional, > 1 guided. */
  guidance_scale: v.optional(v.pipe(v.number(), v.finite('expected a finite number')), 1),
  /** The guidance rule's name (validated against the registry at run time): how a guided step combines ε_c and ε_u. */
  guidance: v.optional(v.string(), 'cfg'),
  /** Sample K images of every class, class-major (item i has class ⌊i/K⌋); sets n_samples to num_classes·K. */
  n_samples_each_class: v.optional(v.nullable(integer(1)), null),
  /** One class (index or name) for every item. */
  class: v.optional(v.nullable(v.union([v.pipe(v.number(), v.integer('expected an integer')), v.string()])), null),
  /** The class (index or name) of each item in turn; sets n_samples to their number. */
  classes: v.optional(v.nullable(v.array(v.union([v.pipe(v.number(), v.integer('expected an integer')), v.string()]))), null),
  /** Options of plugins, keyed by plugin name. */
  options: v.optional(v.record(v.string(), v.unknown()), {}),
  /** "k/n": compute only shard k (0-based) of n of the items; "auto": k and n from the job engine's variables. */
  shard: v.optional(
    v.nullable(
      v.pipe(
        v.unknown(),
        v.check((s) => s === 'auto' || (typeof s === 'string' && parseShard(s) !== undefined), 'expected "k/n" (shard k of n, 0 <= k < n) or "auto"'),
        v.transform((s) => s as string),
      ),
    ),
    null,
  ),
  /** The shard count of shard: auto where the engine gives none (a Kubernetes Indexed Job). */
  shards: v.optional(v.nullable(integer(1)), null),
});

export const ServerSchema = v.strictObject({
  host: v.optional(v.string(), '127.0.0.1'),
  port: v.optional(v.pipe(integer(0), v.maxValue(65535, 'expected a port in 0..65535')), 8787),
  max_batch: v.optional(integer(1), 64),
  max_samples_per_request: v.optional(integer(1), 64),
  max_steps_per_request: v.optional(integer(1), 1000),
  max_queued_samples: v.optional(integer(1), 512),
  max_body_bytes: v.optional(integer(1), 8 * 1024 * 1024),
  max_queued_pixels: v.optional(
    v.pipe(integer(1), v.description('upload pixels (width × height) waiting to be decoded, all requests together; over it: 429, or 413 for one request')),
    64 * 1024 * 1024,
  ),
  request_timeout_ms: v.optional(
    v.pipe(integer(1), v.description('per request, from when its headers are in: reading the body, decoding uploads, queue and run; over it: 504')),
    120_000,
  ),
  header_timeout_ms: v.optional(v.pipe(integer(1), v.description('time a client has to send the request line and headers; over it the connection is closed (Node, Deno; Bun keeps its own ~10 s)')), 10_000),
  body_timeout_ms: v.optional(v.pipe(integer(1), v.description('time a client has to send the whole body; over it: 408 and the connection is closed')), 30_000),
  max_connections: v.optional(v.pipe(integer(1), v.description('requests with a body open at once (GET, e.g. health, is never refused); past it: 503 with Retry-After, connection closed')), 1024),
  shutdown_grace_ms: v.optional(integer(0), 10_000),
  /** Name of the environment variable holding the bearer token; unset: no auth. */
  auth_token_env: v.optional(v.nullable(v.string()), null),
  playground: v.optional(v.pipe(v.boolean(), v.description('serve the playground page at / (never with bearer auth)')), true),
});

export const ConfigSchema = v.looseObject({
  seed: v.optional(
    v.pipe(
      v.number(),
      v.integer('expected an integer'),
      v.minValue(0, 'expected an integer >= 0'),
      v.maxValue(Number.MAX_SAFE_INTEGER, `expected an integer <= ${Number.MAX_SAFE_INTEGER}`),
    ),
    0,
  ),
  data: DataSchema,
  model: v.optional(ModelSchema, {}),
  diffusion: v.optional(
    v.strictObject({ target: v.optional(v.string()), params: v.optional(DiffusionParamsSchema, {}) }),
    {},
  ),
  sampler: v.optional(SamplerSchema, {}),
  server: v.optional(ServerSchema, {}),
  /** Third-party plugin modules: paths (resolved against the config file) or package names. */
  plugins: v.optional(v.array(v.string()), []),
});

/** The one typed, resolved config every part of the toolkit reads. */
export type DdimConfig = v.InferOutput<typeof ConfigSchema> & {
  readonly diffusion: { readonly params: v.InferOutput<typeof DiffusionParamsSchema> };
  readonly sampler: v.InferOutput<typeof SamplerSchema>;
  readonly server: v.InferOutput<typeof ServerSchema>;
  readonly model: v.InferOutput<typeof ModelSchema>;
  /** The file it came from, when there is one. */
  readonly source?: string;
};

/** Top-level keys the toolkit reads or knows to be training-only (others get a warning). */
export const KNOWN_TOP_LEVEL_KEYS = ['seed', 'data', 'diffusion', 'sampler', 'server', 'plugins', 'extends', 'model', 'train', 'dataloader'];
