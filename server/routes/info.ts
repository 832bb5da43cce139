/** The read-only routes: GET /v1/health, /v1/plugins and /openapi.json. */
import type { Hono } from 'hono';
import type { SamplingService } from '../sampling-service.ts';
import { describePlugins } from '../describe-plugins.ts';
import { openApiDocument } from '../openapi.ts';

export interface InfoRouteOptions {
  readonly auth: boolean;
  readonly version?: string;
}

/** A conditional model's classes, for the class and classes fields of a request; null for an (x, t) model. */
function modelClasses(pipeline: SamplingService['pipeline']) {
  const input = pipeline.model.info.classInput;
  const numClasses = pipeline.config.data.num_classes;
  if (!input || numClasses === undefined) return null;
  const names = pipeline.config.data.class_names ?? Array.from({ length: numClasses }, (_, c) => String(c));
  return { num_classes: numClasses, names, null_class: input.nullClass };
}

function health(service: SamplingService, auth: boolean) {
  const { pipeline, scheduler } = service;
  const info = pipeline.model.info;
  const stats = scheduler.stats;
  return {
    status: service.draining ? 'draining' : 'ok',
    model: {
      file: info.path.split(/[\\/]/).pop() ?? info.path,
      sha256: pipeline.modelSha256,
      channels: info.channels,
      height: info.height,
      width: info.width,
      classes: modelClasses(pipeline),
    },
    in_flight: service.inFlight,
    requests: service.counters,
    scheduler: {
      max_batch: scheduler.maxBatch,
      model_calls: stats.modelCalls,
      rows: stats.rows,
      mixed_calls: stats.mixedCalls,
      shared_calls: stats.sharedCalls,
      largest_batch: stats.largestBatch,
      queued_rows: stats.queuedRows,
    },
    limits: { ...pipeline.config.server, auth_token_env: undefined, auth },
  };
}

export function infoRoutes(app: Hono, service: SamplingService, options: InfoRouteOptions): void {
  const { registry, config } = service.pipeline;
  const openapi = openApiDocument(registry, config, { version: options.version, auth: options.auth });
  const plugins = describePlugins(registry);
  // 503 while draining: a readiness probe takes the instance out of rotation; the body still reports.
  app.get('/v1/health', (c) => c.json(health(service, options.auth), service.draining ? 503 : 200));
  app.get('/v1/plugins', (c) => c.json(plugins));
  app.get('/openapi.json', (c) => c.json(openapi));
}
