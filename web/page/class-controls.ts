/**
 * The class picker and guidance scale of a class-conditional model: the classes by the names
 * GET /v1/health gives (the model card's), and the guidance scale s (0 unconditional, 1
 * conditional, > 1 guided). For an unconditional model the whole group stays hidden and
 * sends nothing; for one mode it shows the controls whose fields that mode's requests take.
 */
import type { ClassField, ModeInfo, ServiceInfo } from './api.ts';
import { byId, el } from './dom.ts';

/** The class chosen at first: the config's, else none where the config sets the classes another way, else the first. */
function defaultClass(sampler: ServiceInfo['config']['sampler'], names: readonly string[]): string {
  const given = sampler.class;
  if (given !== undefined) return typeof given === 'number' ? (names[given] ?? '') : given;
  return sampler.classes !== undefined || sampler.n_samples_each_class !== undefined ? '' : (names[0] ?? '');
}

export class ClassControls {
  readonly #group = byId('class-fields', HTMLFieldSetElement);
  readonly #class = byId('class', HTMLSelectElement);
  readonly #guidance = byId('guidance_scale', HTMLInputElement);
  readonly #conditional: boolean;
  #shown: readonly ClassField[] = [];

  constructor(service: ServiceInfo) {
    const classes = service.model.classes;
    this.#conditional = classes !== null;
    const names = classes?.names ?? [];
    const chosen = defaultClass(service.config.sampler, names);
    // The empty choice sends no class: the config's classes or n_samples_each_class apply.
    const unset = el('option', { value: '', selected: chosen === '' }, 'not set (the config\'s classes)');
    this.#class.replaceChildren(unset, ...names.map((name, index) => el('option', { value: name, title: `class ${index}`, selected: name === chosen }, name)));
    this.#guidance.value = String(service.config.sampler.guidance_scale ?? 1);
  }

  /** Show the controls the mode's requests take (none for an unconditional model). */
  showFor(mode: ModeInfo): void {
    this.#shown = this.#conditional ? mode.classFields : [];
    this.#group.hidden = this.#shown.length === 0;
    byId('class-field', HTMLElement).hidden = !this.#shown.includes('class');
    byId('guidance_scale-field', HTMLElement).hidden = !this.#shown.includes('guidance_scale');
  }

  /** The request fields they set: the class by name, the scale as a number; left empty, left out. */
  read(): Partial<Record<ClassField, string | number>> {
    const fields: Partial<Record<ClassField, string | number>> = {};
    if (this.#shown.includes('class') && this.#class.value !== '') fields.class = this.#class.value;
    const scale = this.#guidance.value.trim();
    if (this.#shown.includes('guidance_scale') && scale !== '') fields.guidance_scale = Number(scale);
    return fields;
  }
}
