import { fileURLToPath } from 'node:url';
import { loadConfig } from '../core/config/load-config.ts';
import { packageUrl } from '../core/io/package-url.ts';
import type { Override } from '../core/config/overrides.ts';
import type { DdimConfig } from '../core/config/schema.ts';
import type { ParsedArgs } from './args.ts';
import { warn } from './warnings.ts';

/** Without -c, the shipped model and its config, wherever the command is run from. */
export const DEFAULT_CONFIG = fileURLToPath(packageUrl('models/ddpm_fashion_mnist.yaml'));

/** The config the command line asks for: the file (or the shipped default), its overrides and flags, then `extra`. */
export function resolveConfig(args: ParsedArgs, extra: readonly Override[] = []): DdimConfig {
  return loadConfig(args.config ?? DEFAULT_CONFIG, { overrides: [...args.overrides, ...extra], onWarning: warn });
}
