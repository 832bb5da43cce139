/**
 * `ddim-toolkit/server`: the HTTP front as a web-standard app. Run it with an adapter
 * (server/adapters: Bun, Node, Deno) or hand `app.fetch` to any runtime that takes one.
 */
export { createApp, type AppDeps } from './server/app.ts';
export { SamplingService } from './server/sampling-service.ts';
export type { PreparedRequest, RequestResult } from './server/request-types.ts';
export { describePlugins, type PluginDescription } from './server/describe-plugins.ts';
export { openApiDocument } from './server/openapi.ts';
