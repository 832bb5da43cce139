/**
 * Run records: the JSON file a run keeps beside its results (run.json, or one
 * run.shard-k-of-n.json per shard, so that shards never write the same file), and the rule
 * that decides whether two records describe results of one and the same run.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Shard, shardLabel } from './shard.ts';

export const RUN_JSON = 'run.json';
const SHARD_RECORD = /^run\.shard-(\d+)-of-(\d+)\.json$/;

/** What later runs and `ddim verify` read back of a record (older records lack the newer fields). */
export interface RunRecord {
  readonly status?: string;
  readonly fingerprint?: string;
  readonly items?: number;
  readonly inputs?: unknown;
  readonly config?: { readonly sampler?: { readonly micro_batch?: number; readonly n_samples_each_class?: number | null } };
  readonly picture?: { readonly width: number; readonly height: number; readonly channels: number };
  readonly batch_invariant?: boolean;
  readonly batch_probe?: { readonly digest?: string };
  /** Each item's class (core/classes.ts RunLabels), as written; readers check its shape. */
  readonly labels?: unknown;
  readonly shard?: Shard & { readonly start: number; readonly end: number };
  readonly argv?: readonly string[];
  readonly cwd?: string;
}

/** A record file; `record` is undefined when it does not parse as a JSON object. */
export interface RecordFile {
  readonly name: string;
  readonly record: RunRecord | undefined;
}

/** The record file of an unsharded run or of one shard. */
export function recordName(shard?: Shard): string {
  return shard ? `run.shard-${shard.index}-of-${shard.count}.json` : RUN_JSON;
}

export function isRecordName(name: string): boolean {
  return name === RUN_JSON || SHARD_RECORD.test(name);
}

/** The run records among `names` (a folder's listing), parsed. */
export function readRecords(dir: string, names: readonly string[] = readdirSync(dir)): RecordFile[] {
  return names.filter(isRecordName).sort().map((name) => {
    try {
      const parsed: unknown = JSON.parse(readFileSync(join(dir, name), 'utf8'));
      const record = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as RunRecord) : undefined;
      return { name, record };
    } catch {
      return { name, record: undefined };
    }
  });
}

const splitOf = (r: RunRecord) => `shard ${shardLabel(r.shard!)} of ${r.items} items`;

/** How a conflict names the two records: the claim says `here` and `there`, verify names the files. */
export interface ConflictLabels {
  readonly a: string;
  readonly b: string;
}

/**
 * Why results described by `a` and `b` could differ from one run's bytes, or undefined when
 * they are one run's: same fingerprint; the same batch probe (the model computes the same
 * numbers there); under a model that is not batch-invariant, the same micro_batch; and for
 * two shards, the same split of the same items.
 */
export function recordsConflict(a: RunRecord, b: RunRecord, { a: la, b: lb }: ConflictLabels = { a: 'here', b: 'there' }): string | undefined {
  if (a.fingerprint !== b.fingerprint) return 'other settings, model or noise file';
  const [da, db] = [a.batch_probe?.digest, b.batch_probe?.digest];
  if (da !== undefined && db !== undefined && da !== db) {
    return `the model computes other numbers: batch probe ${db} ${lb}, ${da} ${la} (another CPU, onnxruntime or --threads?)`;
  }
  if (a.batch_invariant !== undefined && b.batch_invariant !== undefined && a.batch_invariant !== b.batch_invariant) {
    return `the batch-invariance check came out ${b.batch_invariant} ${lb}, ${a.batch_invariant} ${la}`;
  }
  const [ma, mb] = [a.config?.sampler?.micro_batch, b.config?.sampler?.micro_batch];
  if ((a.batch_invariant === false || b.batch_invariant === false) && ma !== mb) {
    return `the model is not batch-invariant, so --micro_batch must match: ${mb} ${lb}, ${ma} ${la}`;
  }
  if (a.shard && b.shard && (a.shard.count !== b.shard.count || a.items !== b.items)) {
    return `another split of the items: ${splitOf(b)} ${lb}, ${splitOf(a)} ${la}; shards of one folder take the same --n_samples and --shard k/${b.shard.count}`;
  }
  return undefined;
}
