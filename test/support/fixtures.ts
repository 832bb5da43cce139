import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export { REFERENCE, PARITY, SEED_CONFIGS, SEED_CONFIGS_HEAD, ROOT, DEFAULT_CONFIG, DEFAULT_MODEL, TINY_MODEL } from './paths.ts';

/** A fresh empty directory under the system temp dir. */
export function tempDirSync(prefix = 'ddim-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
