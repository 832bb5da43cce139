/**
 * Sizes a run may not reach, refused before any buffer is allocated: the chain's length, the
 * rows of one micro-batch, the frames of one result, and the noise streams that exist.
 */
import { UserError } from './errors.ts';
import type { DdimConfig } from './config/schema.ts';
import { type ModeCost, type ModePlan, type ModePlugin, itemsPerBatch } from './plugin.ts';
import type { RunHost } from './run-host.ts';

const GiB = 1024 ** 3;
/** Noise streams are keyed by a uint32 (core/noise/philox.ts): more rows than this would repeat noise. */
const MAX_ROWS = 2 ** 32;
/**
 * Host memory per model row of a micro-batch, in units of its C·H·W float32 values: the
 * mode's working batch and inputs, the sampler's noise and x0, the model's output, the
 * frames and PNGs of a finished batch while the next one runs. Measured as peak RSS growth
 * per row with a trivial model (so that onnxruntime's activations do not count), 5000 rows
 * against 1: sample 8.4, reconstruction 12.6, inpaint 15.8.
 */
const BUFFERS_PER_ROW = 16;
/** One result's frames, held as the mode's copy, the clamped samples, the rendered pixels and the PNG. */
const BUFFERS_PER_FRAME = 4;
/** Bookkeeping per timestep of the chain: ᾱ, β and the step coefficients (measured: ~200 bytes). */
const BYTES_PER_TIMESTEP = 256;

/**
 * Host memory a run's buffers may take: half of this machine's, at most 8 GiB (the cap alone
 * where the runtime may not read the machine's memory: Deno without --allow-sys).
 */
export function memoryBudget(host: Pick<RunHost, 'totalMemory'>): number {
  const total = host.totalMemory();
  return Math.min(8 * GiB, total === undefined ? Number.POSITIVE_INFINITY : Math.floor(total / 2));
}

/** Bytes in binary units, as messages show them: `1.5 TiB`. */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const shown = Number.isInteger(value) || value >= 100 ? String(Math.round(value)) : value.toFixed(1);
  return unit === 0 ? `${value} bytes` : `${shown} ${units[unit]}`;
}

/** The chain's length, checked before a schedule lists its timesteps or ᾱ is computed. */
export function checkTotalSteps(host: RunHost, config: DdimConfig): void {
  const total = config.diffusion.params.total_steps;
  const budget = memoryBudget(host);
  const fit = Math.floor(budget / BYTES_PER_TIMESTEP);
  if (total > fit) {
    throw new UserError(`diffusion.params.total_steps ${total}: the chain's bookkeeping needs ${formatBytes(total * BYTES_PER_TIMESTEP)}; at most ${fit} timesteps fit in ${formatBytes(budget)}`, {
      path: 'diffusion.params.total_steps',
    });
  }
}

/**
 * Sizes that cannot fit are refused here, after the plan and before any buffer: the rows of
 * one micro-batch (micro_batch counts model rows; a mode takes whole items, at least one),
 * the frames of one result, and the run's rows against the noise streams that exist.
 */
export function checkSizes(host: RunHost, config: DdimConfig, mode: ModePlugin, plan: ModePlan, cost: ModeCost, shape: { channels: number; height: number; width: number }): void {
  const { micro_batch: microBatch, n_samples: nSamples } = config.sampler;
  const rowsPerItem = cost.rowsPerItem;
  const setBy = cost.rowsSetBy ? `--${cost.rowsSetBy} ${rowsPerItem}` : `mode "${mode.name}"`;
  if (plan.count * rowsPerItem > MAX_ROWS) {
    const what = rowsPerItem === 1 ? 'samples' : `items of ${rowsPerItem} rows (${setBy})`;
    throw new UserError(`--n_samples ${nSamples}: at most ${Math.floor(MAX_ROWS / rowsPerItem)} ${what} per run, one noise stream each (2^32 streams)`, {
      path: 'sampler.n_samples',
    });
  }
  const budget = memoryBudget(host);
  const rowBytes = 4 * shape.channels * shape.height * shape.width * BUFFERS_PER_ROW;
  const fitRows = Math.floor(budget / rowBytes);
  const items = itemsPerBatch(microBatch, rowsPerItem, plan.count);
  const rows = items * rowsPerItem;
  if (rows > fitRows) {
    const need = formatBytes(rows * rowBytes);
    const fit = `at most ${fitRows} fit in ${formatBytes(budget)}`;
    if (items === 1 && rowsPerItem > 1) throw new UserError(`${setBy}: one item of ${rowsPerItem} model rows needs ${need}; at most ${fitRows} rows fit in ${formatBytes(budget)}`, { path: 'sampler.micro_batch' });
    throw new UserError(`--micro_batch ${microBatch}: one micro-batch of ${rows} samples needs ${need}; ${fit}`, { path: 'sampler.micro_batch' });
  }
  const frameBytes = 4 * shape.channels * shape.height * shape.width * BUFFERS_PER_FRAME;
  if (plan.framesPerItem * frameBytes > budget) {
    throw new UserError(
      `mode "${mode.name}": one result of ${plan.framesPerItem} frames needs ${formatBytes(plan.framesPerItem * frameBytes)}; at most ${Math.floor(budget / frameBytes)} frames fit in ${formatBytes(budget)}`,
    );
  }
}
