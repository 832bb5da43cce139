/**
 * Shards: k of n processes (machines) split one run's items into contiguous ranges and
 * write them into one shared save_dir. Every item depends only on (seed, index), so the
 * n shards together write exactly the files of one unsharded run.
 */

/** Shard `index` (0-based) of `count`. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** Items [start, end) of a run. */
export interface ItemRange {
  readonly start: number;
  readonly end: number;
}

const SHARD_TEXT = /^(\d+)\/(\d+)$/;

/** `"1/4"` -> shard 1 of 4; undefined for anything else, k >= n included. */
export function parseShard(text: string): Shard | undefined {
  const match = SHARD_TEXT.exec(text.trim());
  if (!match) return undefined;
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(count) || count < 1 || index >= count) return undefined;
  return { index, count };
}

/**
 * The items shard k of n computes: [floor(k·N/n), floor((k+1)·N/n)). The ranges of
 * k = 0..n−1 cover 0..N−1 once each, and differ in size by at most one item.
 *
 * @example
 * shardRange({ index: 1, count: 4 }, 10); // { start: 2, end: 5 }
 */
export function shardRange(shard: Shard, items: number): ItemRange {
  // BigInt: k·N may pass 2^53 for huge counts, and floor must be exact.
  const at = (k: number) => Number((BigInt(k) * BigInt(items)) / BigInt(shard.count));
  return { start: at(shard.index), end: at(shard.index + 1) };
}

/** The shards of n whose ranges hold any of `indices` (ascending, distinct). */
export function shardsHolding(indices: readonly number[], count: number, items: number): number[] {
  const shards: number[] = [];
  for (let k = 0; k < count; k++) {
    const { start, end } = shardRange({ index: k, count }, items);
    if (indices.some((i) => i >= start && i < end)) shards.push(k);
  }
  return shards;
}

/** `"1/4"`: the form --shard takes. */
export function shardLabel(shard: Shard): string {
  return `${shard.index}/${shard.count}`;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * Items per micro-batch that keep a shard's batches inside its own range, at most `perBatch`.
 * Modes cut batches at multiples of the batch size counted from item 0, so the size must divide
 * the range's start, and its end unless that is the last item: the largest such size.
 *
 * @example
 * shardBatchItems({ start: 16, end: 32 }, 32, 500); // 16: shards 0/2 and 1/2 of 32 items
 */
export function shardBatchItems(range: ItemRange, items: number, perBatch: number): number {
  const cuts = [range.start, range.end === items ? 0 : range.end].filter((cut) => cut > 0);
  if (cuts.length === 0 || range.start === range.end) return perBatch;
  const common = cuts.reduce(gcd);
  for (let size = Math.min(perBatch, common); size > 1; size--) if (common % size === 0) return size;
  return 1;
}
