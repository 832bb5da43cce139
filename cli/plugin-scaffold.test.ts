import { expect, test } from 'bun:test';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../core/errors.ts';
import { tempDirSync } from '../test/support/fixtures.ts';
import { scaffoldPlugin } from './plugin-scaffold.ts';

test('a folder it cannot write (its parent is a file) is one line naming it and the cause, and nothing is left behind', () => {
  const dir = tempDirSync();
  writeFileSync(join(dir, 'notes.txt'), 'mine\n');
  let caught: unknown;
  try {
    scaffoldPlugin('ddim-plugin-demo', join(dir, 'notes.txt', 'pkg'));
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(UserError);
  const message = (caught as UserError).message;
  expect(message).toStartWith('cannot write the plugin package to ');
  expect(message).toContain(join('notes.txt', 'pkg'));
  expect(message).not.toContain('\n');
  expect(readdirSync(dir)).toEqual(['notes.txt']);
});
