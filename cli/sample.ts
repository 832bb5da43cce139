/**
 * `ddim sample`: the reference sample_ddim.py's flags, the shared pipeline, images into
 * --save_dir as each micro-batch finishes.
 */
import { type Progress, createPipeline, fileSink } from '../index.ts';
import { type ParsedArgs, SAMPLING_FLAG_SYNONYMS } from './args.ts';
import type { Command } from './command.ts';
import { formatDuration, progressLine, wantsProgress } from './progress.ts';
import { resolveConfig } from './resolve-config.ts';
import { runtimeLabel } from './runtime.ts';
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

async function runSample(args: ParsedArgs): Promise<void> {
  for (const note of args.notes) warn(note);
  const config = resolveConfig(args);
  const pipeline = await createPipeline(config, { onWarning: warn });
  // From here on, Ctrl-C stops after the current step and keeps the finished images. Repeats
  // (the terminal's and the supervisor's) change nothing: the supervisor kills a stuck run.
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const { sampler } = config;
    const bar = wantsProgress(args.quiet)
      ? progressLine(renderSampleProgress(Math.min(sampler.micro_batch, sampler.n_samples)), (p: Progress) => p.step === p.steps)
      : undefined;
    const sink = fileSink(sampler.save_dir, {
      saveNpy: sampler.save_npy,
      meta: { argv: ['sample', ...args.argv], runtime: runtimeLabel() },
      onWarning: warn,
    });
    const summary = await pipeline.run({ sink, signal: controller.signal, onProgress: bar?.update });
    bar?.done();
    if (!args.quiet) {
      const skipped = summary.items - summary.computed;
      process.stderr.write(
        `wrote ${summary.computed} ${sampler.mode} result(s) to ${sampler.save_dir}` +
          `${skipped > 0 ? ` (${skipped} already there)` : ''} in ${(summary.timings.totalMs / 1000).toFixed(1)} s` +
          ` (${summary.timings.itemsPerSecond.toFixed(1)}/s)\n`,
      );
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await pipeline.dispose();
  }
}

export const sampleCommand: Command = {
  flags: { command: 'sample', runOptions: 'all', config: true, synonyms: SAMPLING_FLAG_SYNONYMS },
  usage: generalUsage,
  run: runSample,
};
