/**
 * The run form: mode and schedule from the service's plugins, steps, eta, seed, count and
 * preview interval, then what the chosen mode adds (its own request fields, its options and
 * the schedule's, its image inputs), all read back as one RunRequest.
 */
import type { ModeInfo, PluginInfo, ServiceInfo } from './api.ts';
import { ClassControls } from './class-controls.ts';
import { byId, el } from './dom.ts';
import { FieldError } from './field-error.ts';
import { InputZone } from './inputs.ts';
import type { RunRequest } from './messages.ts';
import { type SchemaField, schemaField } from './schema-fields.ts';

/** The fixed controls of index.html, by request field. */
const NUMBER_FIELDS = ['skip_steps', 'ddim_eta', 'seed', 'n_samples'] as const;
/** Request fields whose control has the field's name as its id. */
const PAGE_FIELDS = [...NUMBER_FIELDS, 'skip_type', 'class', 'guidance_scale'] as const;

export class RunForm {
  readonly #service: ServiceInfo;
  readonly #mode = byId('mode', HTMLSelectElement);
  readonly #schedule = byId('skip_type', HTMLSelectElement);
  readonly #previewEvery = byId('preview_every', HTMLInputElement);
  readonly #extra = byId('mode-fields', HTMLFieldSetElement);
  readonly #inputs = byId('inputs', HTMLFieldSetElement);
  readonly #images: InputZone;
  readonly #masks: InputZone;
  readonly #classes: ClassControls;
  /** Request fields and plugin options of the chosen mode and schedule. */
  #fields: { readonly name: string; readonly plugin?: string; readonly field: SchemaField }[] = [];

  constructor(service: ServiceInfo, report: (text: string) => void) {
    this.#service = service;
    const { config } = service;
    const params = config.diffusion.params;
    const size = () => service.model.height;
    this.#images = new InputZone(byId('images-zone', HTMLElement), size, report);
    this.#masks = new InputZone(byId('masks-zone', HTMLElement), size, report);
    this.#classes = new ClassControls(service);
    this.#mode.replaceChildren(...service.modes.map((mode) => el('option', { value: mode.name, selected: mode.name === config.sampler.mode }, mode.name)));
    this.#schedule.replaceChildren(...service.schedules.map((s) => el('option', { value: s.name, selected: s.name === params.skip_type }, s.name)));
    this.#number('skip_steps').value = String(params.skip_steps ?? params.total_steps);
    this.#number('skip_steps').max = String(Math.min(params.total_steps, config.server.max_steps_per_request));
    this.#number('ddim_eta').value = String(params.eta);
    this.#number('seed').value = String(config.seed);
    this.#number('n_samples').value = String(Math.min(4, config.sampler.n_samples));
    this.#number('n_samples').max = String(config.server.max_samples_per_request);
    this.#mode.addEventListener('change', () => this.#modeChanged());
    this.#schedule.addEventListener('change', () => this.#renderExtra());
    this.#modeChanged();
  }

  #number(name: (typeof NUMBER_FIELDS)[number]): HTMLInputElement {
    return byId(name, HTMLInputElement);
  }

  get mode(): ModeInfo {
    return this.#service.modes.find((mode) => mode.name === this.#mode.value) ?? this.#service.modes[0]!;
  }

  #modeChanged(): void {
    const mode = this.mode;
    byId('mode-help', HTMLElement).textContent = mode.description ?? '';
    this.#inputs.hidden = mode.inputs.length === 0;
    this.#images.setHidden(!mode.inputs.includes('images'));
    this.#masks.setHidden(!mode.inputs.includes('masks'));
    this.#classes.showFor(mode);
    const count = this.#number('n_samples');
    // A mode that takes images makes one result per image unless told otherwise.
    count.placeholder = mode.inputs.includes('images') ? 'one per image' : '';
    if (mode.inputs.includes('images')) count.value = '';
    else if (count.value === '') count.value = String(Math.min(4, this.#service.config.sampler.n_samples));
    this.#renderExtra();
  }

  /** Why the chosen mode or schedule cannot run in this browser (a plugin module's: those load on the server only), or undefined. */
  get browserBlocker(): string | undefined {
    const { modes, schedules } = this.#service.browserPlugins;
    const missing = [
      modes.includes(this.#mode.value) ? undefined : `mode ${this.#mode.value}`,
      schedules.includes(this.#schedule.value) ? undefined : `schedule ${this.#schedule.value}`,
    ].filter(Boolean);
    return missing.length === 0 ? undefined : `${missing.join(' and ')}: runs on the server only (plugin modules are not loaded in the browser)`;
  }

  /** The mode's own request fields, then the options of the mode and of the schedule. */
  #renderExtra(): void {
    const mode = this.mode;
    const { sampler } = this.#service.config;
    const schedule = this.#service.schedules.find((s) => s.name === this.#schedule.value);
    this.#fields = mode.fields.map(([name, schema]) => ({ name, field: schemaField(`field-${name}`, name, schema, sampler[name] ?? schema.default) }));
    for (const plugin of [mode, schedule].filter((p): p is PluginInfo => p !== undefined)) {
      for (const [key, schema] of Object.entries(plugin.options?.properties ?? {})) {
        const value = sampler.options[plugin.name]?.[key] ?? schema.default;
        this.#fields.push({ name: key, plugin: plugin.name, field: schemaField(`opt-${plugin.name}-${key}`, `${plugin.name}: ${key}`, schema, value) });
      }
    }
    this.#extra.hidden = this.#fields.length === 0;
    byId('mode-fields-body', HTMLElement).replaceChildren(...this.#fields.map(({ field }) => field.element));
  }

  /** The form's run, once any dropped images are converted. */
  async request(): Promise<RunRequest> {
    const mode = this.mode;
    const fields: Record<string, number | string | undefined> = { skip_type: this.#schedule.value };
    for (const name of NUMBER_FIELDS) {
      const input = this.#number(name);
      fields[name] = input.value.trim() === '' ? undefined : Number(input.value);
    }
    Object.assign(fields, this.#classes.read());
    const options: Record<string, Record<string, unknown>> = {};
    for (const { name, plugin, field } of this.#fields) {
      const value = field.read();
      if (value === undefined) continue;
      if (plugin) (options[plugin] ??= {})[name] = value;
      else fields[name] = value as number | string;
    }
    const every = this.#previewEvery.value.trim() === '' ? 1 : Number(this.#previewEvery.value);
    const images = mode.inputs.includes('images') ? await this.#images.pngs() : [];
    const masks = mode.inputs.includes('masks') ? await this.#masks.pngs() : [];
    // Said here, in the page's words, for both places a run can go.
    if (mode.inputs.includes('images') && images.length === 0) throw new FieldError(`images: ${mode.name} takes input images; choose or drop some`, 'images');
    if (mode.inputs.includes('masks') && masks.length === 0) throw new FieldError(`masks: ${mode.name} takes masks (white = keep); choose or drop one per image, or one for all`, 'masks');
    return { mode: mode.name, fields, options, previewEvery: every, images, masks };
  }

  /** Mark the control of a request field the service refused (and clear the others); returns it. */
  markInvalid(field: string | undefined): HTMLElement | undefined {
    for (const invalid of document.querySelectorAll('[aria-invalid=true]')) invalid.removeAttribute('aria-invalid');
    if (!field) return undefined;
    const [head, plugin, key] = field.split(/[.[]/);
    const id = head === 'options' ? `opt-${plugin}-${key}` : head === 'images' || head === 'masks' ? head : PAGE_FIELDS.includes(head as never) ? head : `field-${head}`;
    const element = id ? document.getElementById(id) : null;
    element?.setAttribute('aria-invalid', 'true');
    return element ?? undefined;
  }
}
