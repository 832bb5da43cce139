/**
 * Reference feature statistics on disk: a JSON file with the mean and covariance and
 * what they were computed with (model hash, output, input geometry, source).
 */
import { readFileSync } from 'node:fs';
import * as v from 'valibot';
import { firstLine, UserError } from '../core/errors.ts';
import { writeFileAtomic } from '../core/io/atomic-file.ts';
import type { FeatureStats } from './feature-stats.ts';

export const STATS_FORMAT = 'ddim-feature-stats';

/** What produced the statistics: enough to refuse comparing features of another model. */
export interface StatsProvenance {
  readonly model?: {
    readonly file: string;
    readonly sha256: string;
    readonly output: string;
    /** [C, H, W] the images were given to the model as. */
    readonly input: readonly number[];
    readonly inputRange: readonly number[];
  };
  readonly source?: { readonly kind: string; readonly path: string; readonly pad?: number };
  /** Classifier accuracy on the source images, when labels were given. */
  readonly accuracy?: number;
  /** The score of the source images themselves, a ceiling for samples. */
  readonly inceptionScore?: { readonly mean: number; readonly std: number; readonly splits: number };
  readonly createdBy?: string;
}

export interface StatsFile extends StatsProvenance {
  readonly stats: FeatureStats;
}

const NumberList = v.array(v.number());
const StatsSchema = v.looseObject({
  format: v.literal(STATS_FORMAT),
  version: v.literal(1),
  count: v.pipe(v.number(), v.integer(), v.minValue(2)),
  dim: v.pipe(v.number(), v.integer(), v.minValue(1)),
  model: v.optional(
    v.looseObject({
      file: v.string(),
      sha256: v.string(),
      output: v.string(),
      input: NumberList,
      inputRange: NumberList,
    }),
  ),
  source: v.optional(v.looseObject({ kind: v.string(), path: v.string(), pad: v.optional(v.number()) })),
  accuracy: v.optional(v.number()),
  inceptionScore: v.optional(v.looseObject({ mean: v.number(), std: v.number(), splits: v.number() })),
  createdBy: v.optional(v.string()),
  mean: NumberList,
  cov: v.array(NumberList),
});

/** Whether a file's first bytes look like JSON (a stats file rather than images or idx). */
export function looksLikeJson(bytes: Uint8Array): boolean {
  for (const byte of bytes) {
    if (byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09 || byte === 0xef || byte === 0xbb || byte === 0xbf) continue;
    return byte === 0x7b; // '{'
  }
  return false;
}

/** Read and check a stats file; every problem is a UserError naming the file and the key. */
export function readStatsFile(path: string): StatsFile {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const reason = firstLine(error);
    throw new UserError(`cannot read stats file ${path}: ${reason}`);
  }
  const result = v.safeParse(StatsSchema, raw);
  if (!result.success) {
    const issue = result.issues[0];
    const key = (issue.path ?? []).map((item) => String(item.key)).join('.') || '(top level)';
    throw new UserError(`stats file ${path}: ${key}: expected ${issue.expected}, got ${issue.received}`);
  }
  const { count, dim, mean, cov, format: _format, version: _version, ...provenance } = result.output;
  if (mean.length !== dim) throw new UserError(`stats file ${path}: mean: expected ${dim} numbers (dim), got ${mean.length}`);
  const flat = new Float64Array(dim * dim);
  if (cov.length !== dim) throw new UserError(`stats file ${path}: cov: expected ${dim} rows, got ${cov.length}`);
  for (let i = 0; i < dim; i++) {
    const row = cov[i]!;
    if (row.length !== dim) throw new UserError(`stats file ${path}: cov.${i}: expected ${dim} numbers, got ${row.length}`);
    flat.set(row, i * dim);
  }
  for (let i = 0; i < dim; i++) {
    for (let j = 0; j < i; j++) {
      if (flat[i * dim + j] !== flat[j * dim + i]) throw new UserError(`stats file ${path}: cov is not symmetric at [${i}][${j}]`);
    }
  }
  return { ...(provenance as StatsProvenance), stats: { count, dim, mean: Float64Array.from(mean), cov: flat } };
}

/** Write a stats file atomically: small header first, the mean on one line, one covariance row per line. */
export async function writeStatsFile(path: string, file: StatsFile): Promise<void> {
  const { stats, ...provenance } = file;
  const header = { format: STATS_FORMAT, version: 1, count: stats.count, dim: stats.dim, ...provenance };
  const lines = JSON.stringify(header, null, 2).split('\n');
  lines.pop(); // the closing brace
  lines[lines.length - 1] += ',';
  lines.push(`  "mean": ${JSON.stringify(Array.from(stats.mean))},`);
  lines.push('  "cov": [');
  for (let i = 0; i < stats.dim; i++) {
    lines.push(`    ${JSON.stringify(Array.from(stats.cov.subarray(i * stats.dim, (i + 1) * stats.dim)))}${i + 1 < stats.dim ? ',' : ''}`);
  }
  lines.push('  ]', '}', '');
  try {
    await writeFileAtomic(path, lines.join('\n'));
  } catch (error) {
    const reason = firstLine(error);
    throw new UserError(`cannot write stats file ${path}: ${reason}`);
  }
}
