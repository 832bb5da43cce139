/**
 * The original code base today writes the image size inside the dataset's arguments
 * (`data: {target, params: {root, img_size}, img_channels}`); its DDIM document's version
 * wrote `data.img_size`. Either one is read as `data.img_size`.
 */
import { ConfigError } from '../errors.ts';
import { isPlainObject } from './overrides.ts';

/** The merged config with data.params.img_size copied to data.img_size (and its origin with it). */
export function adoptDataParams(raw: Record<string, unknown>, origins: Map<string, string>): Record<string, unknown> {
  const data = raw.data;
  if (!isPlainObject(data) || !isPlainObject(data.params) || data.params.img_size === undefined) return raw;
  const nested = data.params.img_size;
  if (data.img_size !== undefined && data.img_size !== nested) {
    const origin = origins.get('data.params.img_size') ?? 'config';
    throw new ConfigError(`${origin}: data.params.img_size (${String(nested)}) and data.img_size (${String(data.img_size)}) disagree; keep one`, { path: 'data.img_size' });
  }
  const origin = origins.get('data.params.img_size');
  if (origin !== undefined && !origins.has('data.img_size')) origins.set('data.img_size', origin);
  return { ...raw, data: { ...data, img_size: nested } };
}
