/**
 * What the page learns from the service itself, so that it names no mode or schedule:
 * GET /v1/plugins (modes, schedules, JSON Schemas of their options), GET /openapi.json
 * (each mode's request fields: which inputs it takes, which run options beyond the common
 * ones it reads), GET /v1/health (the model), the config the service runs, and which
 * plugins a run in this browser has (the built-ins: plugin modules load on the server only).
 */

/** The part of JSON Schema the page renders as form fields. */
export interface JsonSchema {
  readonly type?: string;
  readonly description?: string;
  readonly enum?: readonly unknown[];
  readonly default?: unknown;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
  readonly exclusiveMaximum?: number;
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly $ref?: string;
}

export interface PluginInfo {
  readonly name: string;
  readonly description?: string;
  /** JSON Schema of its options; null when it takes none. */
  readonly options: JsonSchema | null;
}

export type ModeInput = 'images' | 'masks';

export interface ModeInfo extends PluginInfo {
  /** The image inputs its requests take. */
  readonly inputs: readonly ModeInput[];
  /** Request fields of this mode beyond the common ones (e.g. n_interpolate), with their schemas. */
  readonly fields: readonly (readonly [string, JsonSchema])[];
  /** Which of the page's class controls' fields (class, guidance_scale) its requests take. */
  readonly classFields: readonly ClassField[];
}

/** The request fields the page's class picker and guidance control set. */
export type ClassField = 'class' | 'guidance_scale';
const CLASS_FIELDS: readonly ClassField[] = ['class', 'guidance_scale'];

/** A class-conditional model's classes, as GET /v1/health gives them (null: an unconditional model). */
export interface ModelClasses {
  readonly num_classes: number;
  /** Class c is names[c] (the model card's names, else the indices). */
  readonly names: readonly string[];
  readonly null_class: number | null;
}

/** The service config, as web/playground.ts serves it to the browser. */
export interface ServiceConfig {
  readonly seed: number;
  readonly diffusion: { readonly params: { readonly skip_type: string; readonly skip_steps: number | null; readonly eta: number; readonly total_steps: number } };
  readonly sampler: { readonly mode: string; readonly n_samples: number; readonly guidance_scale?: number; readonly class?: number | string; readonly classes?: readonly unknown[]; readonly n_samples_each_class?: number; readonly options: Readonly<Record<string, Readonly<Record<string, unknown>>>>; readonly [key: string]: unknown };
  readonly server: { readonly max_samples_per_request: number; readonly max_steps_per_request: number };
}

/** The names of the modes and schedules a run in this browser has (web/playground.ts serves them). */
export interface BrowserPlugins {
  readonly modes: readonly string[];
  readonly schedules: readonly string[];
}

export interface ServiceInfo {
  readonly modes: readonly ModeInfo[];
  readonly schedules: readonly PluginInfo[];
  readonly config: ServiceConfig;
  readonly browserPlugins: BrowserPlugins;
  readonly model: { readonly file: string; readonly sha256: string; readonly channels: number; readonly height: number; readonly width: number; readonly classes: ModelClasses | null };
}

/**
 * Fields the page's fixed controls set (or leave out): those of every request, and the class
 * fields, which web/page/class-controls.ts draws only for a conditional model (classes and
 * n_samples_each_class it leaves to the config).
 */
const COMMON_FIELDS = new Set(['n_samples', 'seed', 'ddim_eta', 'skip_type', 'skip_steps', 'options', 'preview_every', 'class', 'classes', 'guidance_scale', 'n_samples_each_class']);
const INPUTS: readonly ModeInput[] = ['images', 'masks'];

interface OpenApi {
  readonly paths: Record<string, { post?: { requestBody?: { content?: Record<string, { schema?: JsonSchema }> } } }>;
  readonly components: { readonly schemas: Record<string, JsonSchema> };
}

async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(path, { headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** A mode's request schema properties, from its operation in the OpenAPI document. */
function requestProperties(openapi: OpenApi, mode: string): Readonly<Record<string, JsonSchema>> {
  const operation = openapi.paths[`/v1/modes/${mode}`]?.post;
  const schema = operation?.requestBody?.content?.['application/json']?.schema;
  const name = schema?.$ref?.split('/').pop();
  return (name ? openapi.components.schemas[name]?.properties : schema?.properties) ?? {};
}

/** Everything the page's controls are built from, in five requests. */
export async function loadService(): Promise<ServiceInfo> {
  const [plugins, openapi, health, config, browserPlugins] = await Promise.all([
    getJson<{ modes: PluginInfo[]; schedules: PluginInfo[] }>('/v1/plugins'),
    getJson<OpenApi>('/openapi.json'),
    getJson<{ model: ServiceInfo['model'] }>('/v1/health'),
    getJson<ServiceConfig>('/playground/config.json'),
    getJson<BrowserPlugins>('/playground/browser-plugins.json'),
  ]);
  const modes = plugins.modes.map((mode): ModeInfo => {
    const properties = requestProperties(openapi, mode.name);
    const names = Object.keys(properties);
    return {
      ...mode,
      inputs: INPUTS.filter((input) => names.includes(input)),
      fields: names.filter((name) => !COMMON_FIELDS.has(name) && !INPUTS.includes(name as ModeInput)).map((name) => [name, properties[name]!] as const),
      classFields: CLASS_FIELDS.filter((field) => names.includes(field)),
    };
  });
  return { modes, schedules: plugins.schedules, config, browserPlugins, model: { ...health.model, classes: health.model.classes ?? null } };
}
