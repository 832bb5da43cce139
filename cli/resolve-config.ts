import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cardOverrides } from '../core/config/model-card-config.ts';
import { type ModelCard, readModelCard } from '../core/model/model-card.ts';
import { loadConfig } from '../core/config/load-config.ts';
import { packageUrl } from '../core/io/package-url.ts';
import type { Override } from '../core/config/overrides.ts';
import type { DdimConfig } from '../core/config/schema.ts';
import type { ParsedArgs } from './args.ts';
import { warn } from './warnings.ts';

/** Without -c, the shipped model and its config, wherever the command is run from. */
export const DEFAULT_CONFIG = fileURLToPath(packageUrl('models/ddpm_fashion_mnist.yaml'));
const DEFAULT_MODEL = fileURLToPath(packageUrl('models/ddpm_fashion_mnist.onnx'));

/**
 * The config the command line asks for: the file, its overrides and flags, then `extra`.
 * Without -c: the model card of the --weights file when it has one (the shipped default
 * config otherwise, and without --weights).
 */
export function resolveConfig(args: ParsedArgs, extra: readonly Override[] = []): DdimConfig {
  const overrides = [...args.overrides, ...extra];
  const card = args.config === undefined ? weightsCard(overrides) : undefined;
  if (card) return loadConfig(undefined, { overrides: [...cardOverrides(card.card, card.path), ...overrides], onWarning: warn });
  return loadConfig(args.config ?? DEFAULT_CONFIG, { overrides, onWarning: warn });
}

/** The model card of the --weights file given on the command line, if it has one. */
function weightsCard(overrides: readonly Override[]): { card: ModelCard; path: string } | undefined {
  const weights = overrides.findLast((o) => o.path === 'sampler.weights')?.value;
  if (typeof weights !== 'string' || !existsSync(weights) || !statSync(weights).isFile()) return undefined;
  // The shipped model keeps its shipped config (50 steps, 64 samples), with or without --weights.
  if (resolve(weights) === DEFAULT_MODEL) return undefined;
  const card = readModelCard(readFileSync(weights), weights);
  return card && { card, path: weights };
}
