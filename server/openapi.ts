import { jsonSchemaOf } from './json-schema.ts';
import type { DdimConfig } from '../core/config/schema.ts';
import type { Registry } from '../core/registry.ts';
import type { ModePlugin } from '../core/plugin.ts';
import { modeInputs } from '../core/plugin.ts';
import { DEFAULT_MODE_PATH, modePaths } from './mode-paths.ts';
import { requestSchemaFor, requestSchemaName } from './request-schemas.ts';
import { ErrorSchema, HealthSchema, PluginsSchema, PreviewEventSchema, ProgressEventSchema, ResultSchema } from './response-schemas.ts';

type JsonObject = Record<string, unknown>;


/** Each plugin's own options, keyed by name: what a request's `options` field may hold. */
function pluginOptionsSchema(registry: Registry): JsonObject {
  const properties: JsonObject = {};
  for (const plugin of [...registry.list('mode'), ...registry.list('schedule')]) {
    properties[plugin.name] = jsonSchemaOf(plugin.options) ?? { type: 'object', description: `${plugin.name} takes no options` };
  }
  return { type: 'object', properties, additionalProperties: false, description: "options of plugins, keyed by plugin name (the config's sampler.options)" };
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

function errorResponses(codes: readonly number[]): JsonObject {
  const why: Record<number, string> = {
    400: 'malformed JSON, a wrong type or range, an unknown field or plugin name, a corrupt image: `error.field` names the field',
    401: 'a bearer token is configured and the request lacks it',
    406: 'the Accept header asks for nothing this endpoint gives (image/png holds exactly one result item)',
    413: 'the body, n_samples, the step count or an image is over a configured limit',
    415: 'the body is neither application/json nor multipart/form-data',
    429: 'the queue is full (server.max_queued_samples); see Retry-After',
    503: 'the service is shutting down',
    504: 'the request ran past server.request_timeout_ms and was cancelled',
  };
  const retryAfter = { 'Retry-After': { description: 'seconds to wait before retrying', schema: { type: 'integer' } } };
  return Object.fromEntries(
    codes.map((code) => [
      String(code),
      {
        description: why[code] ?? 'error',
        ...(code === 429 || code === 503 ? { headers: retryAfter } : {}),
        content: { 'application/json': { schema: ref('Error') } },
      },
    ]),
  );
}

/** Headers of every successful answer of a sampling endpoint. */
const RESULT_HEADERS = {
  'x-request-id': { description: 'the id the service gave the request (also in its log)', schema: { type: 'string' } },
  'x-ddim-seed': { description: 'the seed used (JSON and PNG answers)', schema: { type: 'integer' } },
  'x-ddim-steps': { description: 'the number of sampling steps (JSON and PNG answers)', schema: { type: 'integer' } },
};

/** The POST operation of one mode: its request body by content type, its answers. */
function modeOperation(mode: ModePlugin, schemaName: string, path: string): JsonObject {
  const takesImages = modeInputs(mode).includes('images');
  const content: JsonObject = {
    'application/json': { schema: ref(schemaName) },
    'multipart/form-data': {
      schema: {
        type: 'object',
        description: 'the same fields as text parts (read like CLI flag values; options as JSON)' + (takesImages ? ', and the input images as file parts named "images"' : ''),
        ...(takesImages ? { properties: { images: { type: 'array', items: { type: 'string', contentMediaType: 'image/png' } } } } : {}),
      },
    },
  };
  const stream =
    'events: `accepted` ({id, mode, count, seed, timesteps}) first, `progress` (ProgressEvent) per step, `preview` (PreviewEvent) every preview_every steps ' +
    'and at the last, then `result` (Result) or `error` (Error)';
  return {
    post: {
      operationId: path === DEFAULT_MODE_PATH ? 'run' : path.startsWith('/v1/modes/') ? `mode_${mode.name}` : mode.name,
      summary: `${path}: ${mode.description ?? mode.name}. Fields left out take the config's values, as with the CLI.`,
      requestBody: { required: false, content },
      responses: {
        200: {
          description: 'the result, by Accept: JSON (default), one PNG, or a progress stream ending with the result',
          headers: RESULT_HEADERS,
          content: {
            'application/json': { schema: ref('Result') },
            'image/png': { schema: { type: 'string', contentMediaType: 'image/png' } },
            'text/event-stream': { schema: { type: 'string', description: stream } },
          },
        },
        ...errorResponses([400, 401, 406, 413, 415, 429, 503, 504]),
      },
    },
  };
}

/**
 * The OpenAPI 3.1 document of the service, generated from the same valibot schemas that
 * validate requests (one per registered mode), plus the plugins' option schemas.
 *
 * @example
 * app.get('/openapi.json', (c) => c.json(openApiDocument(pipeline.registry, pipeline.config)));
 */
export function openApiDocument(registry: Registry, config: DdimConfig, options: { version?: string; auth?: boolean } = {}): JsonObject {
  const limits = config.server;
  const schemas: JsonObject = {
    PluginOptions: pluginOptionsSchema(registry),
    Result: jsonSchemaOf(ResultSchema),
    Error: jsonSchemaOf(ErrorSchema),
    ProgressEvent: jsonSchemaOf(ProgressEventSchema),
    PreviewEvent: jsonSchemaOf(PreviewEventSchema),
    Health: jsonSchemaOf(HealthSchema),
    Plugins: jsonSchemaOf(PluginsSchema),
  };
  const paths: JsonObject = {};
  for (const mode of registry.list('mode')) {
    const name = requestSchemaName(mode.name);
    const body = jsonSchemaOf(requestSchemaFor(mode))!;
    (body.properties as JsonObject).options = ref('PluginOptions');
    schemas[name] = { ...body, title: name, description: mode.description };
    for (const path of modePaths(mode.name)) paths[path] = modeOperation(mode, name, path);
    if (mode.name === config.sampler.mode) paths[DEFAULT_MODE_PATH] = modeOperation(mode, name, DEFAULT_MODE_PATH);
  }
  paths['/v1/health'] = { get: { operationId: 'health', security: [], summary: 'liveness, load and counters (no token needed)', responses: { 200: { description: 'ok', content: { 'application/json': { schema: ref('Health') } } }, 503: { description: 'draining (shutting down): the same body, status "draining"', content: { 'application/json': { schema: ref('Health') } } } } } };
  paths['/v1/plugins'] = {
    get: { operationId: 'plugins', summary: 'modes and schedules with their option schemas', responses: { 200: { description: 'ok', content: { 'application/json': { schema: ref('Plugins') } } }, ...errorResponses([401]) } },
  };
  paths['/openapi.json'] = { get: { operationId: 'openapi', security: [], summary: 'this document', responses: { 200: { description: 'OpenAPI 3.1', content: { 'application/json': {} } } } } };
  return {
    openapi: '3.1.0',
    info: {
      title: 'DDIM sampling service',
      version: options.version ?? '0.1.0',
      description:
        `DDIM sampling over one ONNX model fixed at start-up; results are byte-identical to the CLI with the same flags. ` +
        `Limits: ${limits.max_samples_per_request} samples and ${limits.max_steps_per_request} steps per request, ` +
        `${limits.max_queued_samples} samples in flight, ${limits.max_body_bytes} body bytes, ${limits.request_timeout_ms} ms per request.`,
    },
    ...(options.auth ? { security: [{ bearer: [] }] } : {}),
    paths,
    components: { schemas, ...(options.auth ? { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } } : {}) },
  };
}
