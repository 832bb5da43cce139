/**
 * Which shard this process is: `--shard k/n`, or `--shard auto` from the job engine's
 * variables. Kubernetes Indexed Jobs set JOB_COMPLETION_INDEX (k) but not the count, which
 * comes from --shards N or DDIM_SHARDS; Slurm job arrays set SLURM_ARRAY_TASK_ID with
 * _MIN, _COUNT (and _STEP for --array=a-b:s), k = (ID − MIN) / STEP. Every source given must
 * agree; anything missing or inconsistent is a one-line error (exit 2), since a wrong k
 * would silently leave a gap or compute a range twice.
 */
import type { DdimConfig } from '../core/config/schema.ts';
import { UserError } from '../core/errors.ts';
import { type Shard, parseShard, shardLabel } from '../core/sinks/shard.ts';

type Env = Readonly<Record<string, string | undefined>>;

/** The variables read, for messages and the README. */
export const SHARD_ENV = {
  index: 'JOB_COMPLETION_INDEX',
  count: 'DDIM_SHARDS',
  slurmId: 'SLURM_ARRAY_TASK_ID',
  slurmMin: 'SLURM_ARRAY_TASK_MIN',
  slurmCount: 'SLURM_ARRAY_TASK_COUNT',
  slurmStep: 'SLURM_ARRAY_TASK_STEP',
} as const;

const fail = (message: string) => new UserError(`--shard auto: ${message}`, { path: 'sampler.shard' });

/** An environment variable as an integer >= min, or undefined when unset. */
function envInt(env: Env, name: string, min: number): number | undefined {
  const text = env[name];
  if (text === undefined || text === '') return undefined;
  const value = Number(text.trim());
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(value) || value < min) throw fail(`${name}="${text}": expected an integer >= ${min}`);
  return value;
}

/** k from the Slurm array variables, or undefined outside a Slurm array. */
function slurmIndex(env: Env): number | undefined {
  const id = envInt(env, SHARD_ENV.slurmId, 0);
  if (id === undefined) return undefined;
  const min = envInt(env, SHARD_ENV.slurmMin, 0) ?? 0;
  const step = envInt(env, SHARD_ENV.slurmStep, 1) ?? 1;
  if (id < min || (id - min) % step !== 0) {
    throw fail(`${SHARD_ENV.slurmId}=${id} is not ${SHARD_ENV.slurmMin} (${min}) plus a multiple of ${SHARD_ENV.slurmStep} (${step})`);
  }
  return (id - min) / step;
}

/** One value from the sources that give it (name -> value); they must agree. */
function agreed(what: string, sources: ReadonlyArray<readonly [string, number | undefined]>): number | undefined {
  const given = sources.filter((entry): entry is readonly [string, number] => entry[1] !== undefined);
  const [first] = given;
  const other = given.find(([, value]) => value !== first?.[1]);
  if (first && other) throw fail(`the ${what} differs: ${first[0]}=${first[1]} but ${other[0]}=${other[1]}`);
  return first?.[1];
}

/** --shard auto: k and n from the engine's variables, --shards and DDIM_SHARDS. */
function autoShard(shards: number | null, env: Env): Shard {
  const index = agreed('shard index', [
    [SHARD_ENV.index, envInt(env, SHARD_ENV.index, 0)],
    [`${SHARD_ENV.slurmId} − ${SHARD_ENV.slurmMin}`, slurmIndex(env)],
  ]);
  const count = agreed('shard count', [
    ['--shards', shards ?? undefined],
    [SHARD_ENV.count, envInt(env, SHARD_ENV.count, 1)],
    [SHARD_ENV.slurmCount, env[SHARD_ENV.slurmId] === undefined ? undefined : envInt(env, SHARD_ENV.slurmCount, 1)],
  ]);
  if (index === undefined) {
    throw fail(`no shard index: expected ${SHARD_ENV.index} (a Kubernetes Indexed Job) or ${SHARD_ENV.slurmId} (a Slurm job array), or give --shard k/n`);
  }
  if (count === undefined) throw fail(`shard ${index} of how many? give --shards N or set ${SHARD_ENV.count} (Slurm arrays set ${SHARD_ENV.slurmCount})`);
  if (index >= count) throw fail(`shard index ${index} is not below the shard count ${count} (k counts from 0)`);
  return { index, count };
}

/**
 * The shard a sampling run computes, or undefined for a whole run.
 *
 * @example
 * resolveShard(config.sampler, { JOB_COMPLETION_INDEX: '2', DDIM_SHARDS: '4' }); // with sampler.shard "auto": { index: 2, count: 4 }
 */
export function resolveShard(sampler: DdimConfig['sampler'], env: Env): Shard | undefined {
  const { shard, shards, save_npy } = sampler;
  if (shard === null) {
    if (shards !== null) throw new UserError('--shards N only sets the count for --shard auto; give --shard auto too, or --shard k/n', { path: 'sampler.shards' });
    return undefined;
  }
  const resolved = shard === 'auto' ? autoShard(shards, env) : parseShard(shard)!;
  if (shard !== 'auto' && shards !== null && shards !== resolved.count) {
    throw new UserError(`--shard ${shard} and --shards ${shards} disagree on the shard count`, { path: 'sampler.shards' });
  }
  if (save_npy) {
    throw new UserError(`--save_npy cannot go with --shard ${shardLabel(resolved)}: samples.npy is one file of every item; run unsharded, or use the PNGs`, { path: 'sampler.save_npy' });
  }
  return resolved;
}
