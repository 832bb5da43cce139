/**
 * `ddim sample`: the reference sample_ddim.py's flags, the shared pipeline, images into
 * --save_dir as each micro-batch finishes.
 */
import { type Pipeline, type PreparedRun, type Progress, type RunSummary, createPipeline } from '../index.ts';
import { type BatchProbe, checkBatchInvariance } from '../core/model/batch-invariance.ts';
import { itemsPerBatch } from '../core/plugin.ts';
import { type FileSink, fileSink } from '../core/sinks/file-sink.ts';
import { DEFAULT_MICRO_BATCH } from '../core/config/schema.ts';
import { type Shard, shardBatchItems, shardLabel, shardRange } from '../core/sinks/shard.ts';
import { type ParsedArgs, SAMPLING_FLAG_SYNONYMS } from './args.ts';
import type { Command } from './command.ts';
import { stopWhenOrphaned } from './supervise.ts';
import { formatDuration, progressLine, wantsProgress } from './progress.ts';
import { resolveConfig } from './resolve-config.ts';
import { runtimeLabel } from './runtime.ts';
import { resolveShard } from './shard.ts';
import { generalUsage } from './usage.ts';
import { warn } from './warnings.ts';

const BAR_WIDTH = 24;

/** `[#####...]  40% sample step 6/10 · batch 1/2 · 3.1 img/s · ETA 0:02` */
export function renderSampleProgress(microBatch: number): (p: Progress) => string {
  return (p) => {
    // Reconstruction inverts, then samples: inversion is the first half of a batch's work.
    const batchFraction = p.direction === 'invert' ? (0.5 * p.step) / p.steps : p.step / p.steps;
    const fraction = Math.min(1, (p.itemsDone + p.batch * batchFraction) / Math.max(1, p.items));
    const seconds = p.elapsedMs / 1000;
    const rate = (fraction * p.items) / seconds;
    const eta = fraction > 0 ? (seconds * (1 - fraction)) / fraction : Infinity;
    const filled = Math.round(fraction * BAR_WIDTH);
    const batchIndex = Math.floor(p.itemsDone / microBatch) + 1;
    const batches = Math.ceil(p.items / microBatch);
    return (
      `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ` +
      `${p.direction} step ${p.step}/${p.steps} · batch ${batchIndex}/${batches} · ${rate.toFixed(1)} img/s · ETA ${formatDuration(eta)}`
    );
  };
}

/**
 * The batch-invariance check on the run's own model and batch size: recorded in the run
 * record, which other runs and shards into the same folder must match (the file sink warns
 * when it fails, once the folder is claimed).
 */
function probeModel(pipeline: Pipeline, prepared: PreparedRun): Promise<BatchProbe> {
  const rows = Math.min(prepared.config.sampler.micro_batch, prepared.plan.count * prepared.cost.rowsPerItem);
  return checkBatchInvariance(pipeline.model, { totalSteps: prepared.config.diffusion.params.total_steps, batch: rows });
}

/**
 * With the default micro_batch, a shard's batches are sized to lie inside its own range, so
 * n shards compute each item once. Only under a batch-invariant model: elsewhere results depend
 * on the batch size, and shards keep the run's batches (computing straddling ones whole).
 */
function fitBatchesToShard(prepared: PreparedRun, shard: Shard, probe: BatchProbe): PreparedRun {
  if (prepared.config.sampler.micro_batch !== DEFAULT_MICRO_BATCH || !probe.invariant) return prepared;
  const { count } = prepared.plan;
  const { rowsPerItem } = prepared.cost;
  const perBatch = itemsPerBatch(prepared.planContext.microBatch, rowsPerItem, count);
  const items = shardBatchItems(shardRange(shard, count), count, perBatch);
  return { ...prepared, planContext: { ...prepared.planContext, microBatch: items * rowsPerItem } };
}

/**
 * A shard computes whole micro-batches, its neighbours' items in those that straddle its
 * boundaries included: say so when a batch holds more items than the shard's whole share.
 */
function shardWasteNote(prepared: PreparedRun, shard: Shard): string | undefined {
  const { count } = prepared.plan;
  const { rowsPerItem } = prepared.cost;
  const perBatch = itemsPerBatch(prepared.planContext.microBatch, rowsPerItem, count);
  const { start, end } = shardRange(shard, count);
  if (start % perBatch === 0 && (end === count || end % perBatch === 0)) return undefined;
  const share = Math.floor(count / shard.count);
  if (perBatch <= Math.max(1, share)) return undefined;
  return (
    `--shard ${shardLabel(shard)}: a micro-batch of ${perBatch} items is more than a shard's ${share}, and a batch that straddles a shard ` +
    `boundary is computed whole by both shards; --micro_batch ${Math.max(1, share) * rowsPerItem} or less spares most of that work`
  );
}

/** `wrote 16 sample result(s) to DIR in 1.2 s (13.3/s)`; a shard says which items are its own. */
function report(summary: RunSummary, sink: FileSink, config: PreparedRun['config'], shard: Shard | undefined): string {
  const { mode, save_dir } = config.sampler;
  const time = ` in ${(summary.timings.totalMs / 1000).toFixed(1)} s (${summary.timings.itemsPerSecond.toFixed(1)}/s)`;
  if (shard) {
    const { start, end } = sink.range!;
    const there = end - start - sink.written;
    return `shard ${shardLabel(shard)} (items ${start}..${end - 1} of ${summary.items}): wrote ${sink.written} ${mode} result(s) to ${save_dir}${there > 0 ? ` (${there} already there)` : ''}${time}`;
  }
  const skipped = summary.items - summary.computed;
  return `wrote ${summary.computed} ${mode} result(s) to ${save_dir}${skipped > 0 ? ` (${skipped} already there)` : ''}${time}`;
}

async function runSample(args: ParsedArgs): Promise<void> {
  for (const note of args.notes) warn(note);
  const config = resolveConfig(args);
  const shard = resolveShard(config.sampler, process.env);
  const pipeline = await createPipeline(config, { onWarning: warn });
  // From here on, Ctrl-C stops after the current step and keeps the finished images. Repeats
  // (the terminal's and the supervisor's) change nothing: the supervisor kills a stuck run.
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const endWatch = stopWhenOrphaned(onSignal);
  try {
    const { sampler } = config;
    const planned = await pipeline.prepare(config, { nSamplesAsked: args.overrides.some((override) => override.path === 'sampler.n_samples') });
    for (const warning of planned.warnings) warn(warning);
    const batchProbe = await probeModel(pipeline, planned);
    const prepared = shard ? fitBatchesToShard(planned, shard, batchProbe) : planned;
    const note = shard && shardWasteNote(prepared, shard);
    if (note) warn(note);
    const bar = wantsProgress(args.quiet)
      ? progressLine(renderSampleProgress(Math.min(prepared.planContext.microBatch, prepared.plan.count)), (p: Progress) => p.step === p.steps)
      : undefined;
    const sink = fileSink(sampler.save_dir, {
      saveNpy: sampler.save_npy,
      meta: { argv: ['sample', ...args.argv], cwd: process.cwd(), runtime: runtimeLabel() },
      onWarning: warn,
      shard,
      batchProbe,
    });
    const summary = await pipeline.execute(prepared, { sink, signal: controller.signal, onProgress: bar?.update });
    bar?.done();
    if (!args.quiet) process.stderr.write(`${report(summary, sink, config, shard)}\n`);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    endWatch();
    await pipeline.dispose();
  }
}

export const sampleCommand: Command = {
  flags: { command: 'sample', runOptions: 'all', config: true, synonyms: SAMPLING_FLAG_SYNONYMS },
  usage: generalUsage,
  run: runSample,
};
