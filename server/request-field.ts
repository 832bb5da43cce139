/**
 * One naming scheme for the fields an error answer names: the request's own field paths
 * (`n_samples`, `options.<plugin>.<key>`, `images[2]`), in the JSON `field` and at the head of
 * the message alike. The core words its errors with config paths (`sampler.options.halfway.at`,
 * `diffusion.params.skip_steps`) or CLI flags (`--n_samples 5`), as the CLI shows them; here
 * they become the field of the request that sets them.
 */
import { RUN_OPTIONS } from '../core/config/run-options.ts';
import type { UserError } from '../core/errors.ts';

const OPTIONS_PREFIX = 'sampler.options.';

/**
 * The request field that sets a config path, a run option or a flag: `sampler.n_samples`,
 * `n_samples` and `--n_samples` -> `n_samples`; `sampler.options.halfway.at` -> `options.halfway.at`.
 * Undefined for anything a request does not set.
 */
export function requestField(name: string | undefined): string | undefined {
  if (!name) return undefined;
  if (name.startsWith(OPTIONS_PREFIX) && name.length > OPTIONS_PREFIX.length) return `options.${name.slice(OPTIONS_PREFIX.length)}`;
  if (name.startsWith('options.')) return name;
  const bare = name.startsWith('--') ? name.slice(2) : name;
  return RUN_OPTIONS.find((option) => option.path === name || option.name === bare)?.name;
}

/**
 * The path or flag a message starts with, if any: a word before a colon (`skip_steps: …`), a
 * dotted path (`sampler.options.halfway.at: …`, `diffusion.params.total_steps 1000: …`) or a flag
 * (`--n_samples 5: …`). A plain word before a space is prose (`mode "x" needs …`), not a field.
 */
const LEAD = /^(?:--[a-z_]+(?=[:\s])|[A-Za-z_][\w-]*(?=:)|[A-Za-z_][\w-]*(?:\.[\w-]+)+(?=[:\s]))/;

/**
 * The request field a UserError is about, and its message worded with that field. The message's
 * own lead wins over the error's `path` when it names a field, being the more precise of the two
 * (`sampler.options.x.key: …` under the path `sampler.options.x`); a message that names no field
 * but has a `path` is led by that path's field; with neither, no field is named rather than a wrong one.
 */
export function userErrorField(error: UserError): { field: string | undefined; message: string } {
  const lead = LEAD.exec(error.message)?.[0];
  const fromLead = requestField(lead);
  const field = fromLead ?? requestField(error.path);
  if (!fromLead) return { field, message: field ? `${field}: ${error.message}` : error.message };
  return { field, message: `${fromLead}${error.message.slice(lead!.length)}` };
}

const FLAG = /(^|[\s(])--([a-z_]+)\b/g;

/**
 * A core message in a request's terms: the CLI's flags become the request's fields
 * (`--class C` -> `class C`) and the model file is named by its base name, as /v1/health
 * names it, so an answer does not show where the server keeps its files.
 */
export function inRequestTerms(message: string, modelPath: string): string {
  const named = modelPath ? message.replaceAll(modelPath, modelPath.split(/[\\/]/).pop() ?? modelPath) : message;
  return named.replace(FLAG, (whole, before: string, name: string) => (RUN_OPTIONS.some((option) => option.name === name) ? `${before}${name}` : whole));
}
