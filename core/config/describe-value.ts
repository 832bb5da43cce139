import { oneLine } from '../errors.ts';
import { isPlainObject } from './overrides.ts';

/** A value a message names without quoting it whole (it may be huge, or an alias bomb). */
export function describeValue(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (isPlainObject(value)) return 'a mapping';
  return typeof value === 'string' ? `"${oneLine(value).slice(0, 60)}"` : String(value);
}
