/**
 * Results are the same bytes whatever --micro_batch, shard or server batch made them only if
 * the model computes each row the same whatever else is in its batch. onnxruntime does not
 * promise that (kernels may be chosen, tiled or reduced differently by batch size), so a run
 * checks it: a few probe rows of seeded noise, each alone (batch 1) and inside one batch of
 * the run's size, compared bit for bit. The batch-1 outputs' digest names what this model
 * computes on this machine (CPU, onnxruntime, threads): runs writing into one folder must
 * agree on it.
 */
import { sha256Hex } from '../io/sha256.ts';
import { fillGaussian } from '../noise/philox.ts';
import type { DiffusionModel } from './model.ts';

/** Rows of the probe: a prefix of what the digest covers never changes with the batch size. */
const PROBE_ROWS = 3;
/** The largest batch the check builds: the cost grows with it (about 5 ms a row on 2 cores). */
export const MAX_PROBE_BATCH = 16;
/** A noise domain no mode uses, so probe rows are no run's samples. */
const PROBE_DOMAIN = 0x70726f62;

export interface BatchProbe {
  /** Whether every probe row came out bit for bit the same alone and inside the batch. */
  readonly invariant: boolean;
  /** SHA-256 (16 hex digits) of the probe rows' batch-1 outputs. */
  readonly digest: string;
  /** The batch the rows were placed in. */
  readonly batch: number;
  /** Largest difference between a row alone and in the batch (0 when invariant; Infinity for a NaN). */
  readonly maxDiff: number;
  /** What the check cost. */
  readonly ms: number;
}

/** Seeded noise for probe stream `stream`, into x[offset..offset+size). */
function fillProbe(x: Float32Array, offset: number, size: number, stream: number): void {
  fillGaussian(x, offset, size, { seed: 0, stream, step: 0, domain: PROBE_DOMAIN });
}

/**
 * Evaluate the probe rows alone and within a batch of `batch` rows (at least 3, at most
 * MAX_PROBE_BATCH; a run passes its rows per model call) and compare the outputs.
 *
 * @example
 * const probe = await checkBatchInvariance(model, { totalSteps: 1000, batch: 16 });
 * if (!probe.invariant) console.warn('results may depend on --micro_batch');
 */
export async function checkBatchInvariance(model: DiffusionModel, options: { totalSteps: number; batch: number }): Promise<BatchProbe> {
  const started = performance.now();
  const { channels, height, width, outputSize } = model.info;
  const size = channels * height * width;
  const T = options.totalSteps;
  const batch = Math.max(PROBE_ROWS, Math.min(options.batch, MAX_PROBE_BATCH));
  // The probe rows sit first, in the middle and last, where edge effects of a tiling would show.
  const places = [0, Math.floor(batch / 2), batch - 1];
  const x = new Float32Array(batch * size);
  const t = new Int32Array(batch);
  for (let i = 0, filler = PROBE_ROWS; i < batch; i++) {
    const j = places.indexOf(i);
    fillProbe(x, i * size, size, j !== -1 ? j : filler++);
    // Probe row j always sits at the same timestep; the others spread over [0, T).
    t[i] = j !== -1 ? Math.floor(((2 * j + 1) * T) / (2 * PROBE_ROWS)) : Math.floor((i * T) / batch);
  }
  const batched = (await model.run(x, t, batch)).slice();
  const alone = new Float32Array(PROBE_ROWS * outputSize);
  let differs = false;
  let maxDiff = 0;
  for (let j = 0; j < PROBE_ROWS; j++) {
    const at = places[j]!;
    alone.set(await model.run(x.subarray(at * size, (at + 1) * size), [t[at]!], 1), j * outputSize);
    const a = new Uint32Array(alone.buffer, j * outputSize * 4, outputSize);
    const b = new Uint32Array(batched.buffer, at * outputSize * 4, outputSize);
    for (let k = 0; k < outputSize; k++) {
      if (a[k] === b[k]) continue;
      differs = true;
      const diff = Math.abs(alone[j * outputSize + k]! - batched[at * outputSize + k]!);
      maxDiff = Math.max(maxDiff, Number.isNaN(diff) ? Infinity : diff);
    }
  }
  const digest = sha256Hex(new Uint8Array(alone.buffer)).slice(0, 16);
  return { invariant: !differs, digest, batch, maxDiff, ms: performance.now() - started };
}
