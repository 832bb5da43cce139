/**
 * A form field for one property of a JSON Schema (a plugin's option, a mode's request field):
 * a labelled input with its range and description, and a reader that gives the value typed
 * as the schema says, or undefined when it is left empty.
 */
import type { JsonSchema } from './api.ts';
import { el } from './dom.ts';

export interface SchemaField {
  /** The field's wrapper (label, input, help), to put in the form. */
  readonly element: HTMLElement;
  /** The input the label names (for focus and aria-invalid). */
  readonly input: HTMLInputElement | HTMLSelectElement;
  read(): unknown;
}

/** "0 < x ≤ 1, default 0.5": what the schema allows, in one line. */
function rangeText(schema: JsonSchema): string {
  const parts: string[] = [];
  const low = schema.exclusiveMinimum !== undefined ? `${schema.exclusiveMinimum} <` : schema.minimum !== undefined ? `${schema.minimum} ≤` : '';
  const high = schema.exclusiveMaximum !== undefined ? `< ${schema.exclusiveMaximum}` : schema.maximum !== undefined ? `≤ ${schema.maximum}` : '';
  if (low || high) parts.push([low, schema.type === 'integer' ? 'an integer' : 'value', high].filter(Boolean).join(' '));
  if (schema.default !== undefined) parts.push(`default ${JSON.stringify(schema.default)}`);
  return parts.join(', ');
}

function numberInput(id: string, schema: JsonSchema, value: unknown): HTMLInputElement {
  return el('input', {
    id,
    type: 'number',
    inputmode: schema.type === 'integer' ? 'numeric' : 'decimal',
    step: schema.type === 'integer' ? 1 : 'any',
    min: schema.minimum ?? schema.exclusiveMinimum,
    max: schema.maximum ?? schema.exclusiveMaximum,
    value: typeof value === 'number' ? value : undefined,
  });
}

/**
 * @example
 * const field = schemaField('opt-sdedit-strength', 'strength', { type: 'number', maximum: 1, default: 0.5 }, 0.5);
 * form.append(field.element); field.read(); // 0.5
 */
export function schemaField(id: string, label: string, schema: JsonSchema, value: unknown = schema.default): SchemaField {
  const helpId = `${id}-help`;
  const help = [schema.description, rangeText(schema)].filter(Boolean).join(' · ');
  let input: HTMLInputElement | HTMLSelectElement;
  let read: () => unknown;
  if (schema.enum) {
    const select = el('select', { id }, ...schema.enum.map((option) => el('option', { value: JSON.stringify(option), selected: option === value }, String(option))));
    input = select;
    read = () => JSON.parse(select.value) as unknown;
  } else if (schema.type === 'boolean') {
    const box = el('input', { id, type: 'checkbox', checked: value === true });
    input = box;
    read = () => box.checked;
  } else if (schema.type === 'number' || schema.type === 'integer') {
    const number = numberInput(id, schema, value);
    input = number;
    read = () => (number.value.trim() === '' ? undefined : Number(number.value));
  } else {
    const text = el('input', { id, type: 'text', value: typeof value === 'string' ? value : undefined });
    input = text;
    read = () => (text.value === '' ? undefined : text.value);
  }
  if (help) input.setAttribute('aria-describedby', helpId);
  const isBox = input instanceof HTMLInputElement && input.type === 'checkbox';
  const element = el(
    'div',
    { class: isBox ? 'field field-check' : 'field' },
    el('label', { for: id }, label),
    input,
    help ? el('p', { id: helpId, class: 'help' }, help) : null,
  );
  return { element, input, read };
}
