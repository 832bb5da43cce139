import { expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { DEFAULT_MODEL } from '../../test/support/fixtures.ts';
import { UserError } from '../errors.ts';
import { readModelCard } from '../model/model-card.ts';
import { configFromObject } from './validate-config.ts';
import { withModelCard } from './model-card-config.ts';

/** The key a contradiction names: what a server answers as the request's field. */
function keyOf(data: { img_size: number; img_channels: number }): string | undefined {
  const card = readModelCard(readFileSync(DEFAULT_MODEL), DEFAULT_MODEL)!;
  try {
    withModelCard(configFromObject({ data }), card, DEFAULT_MODEL);
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return (error as UserError).path;
  }
  return undefined;
}

test('a geometry that contradicts the card names the key that differs', () => {
  // The shipped model's card: 1×32×32.
  expect(keyOf({ img_size: 28, img_channels: 1 })).toBe('data.img_size');
  expect(keyOf({ img_size: 32, img_channels: 3 })).toBe('data.img_channels');
  expect(keyOf({ img_size: 28, img_channels: 3 })).toBe('data.img_size');
  expect(keyOf({ img_size: 32, img_channels: 1 })).toBeUndefined();
});
