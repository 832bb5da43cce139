/** Config files written for a test, and the ConfigError message loading one gives. */
import { expect } from 'bun:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../core/errors.ts';

/** `text` written to dir/name; its path. */
export function configFile(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** The message of the ConfigError `fn` throws (failing the test if it throws none, or another error). */
export function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}
