/**
 * Results as files, the way the reference tool writes them: {idx}.png per item in
 * save_dir, plus run.json and, on request, samples.npy / latents.npy. Every file is
 * written atomically; a rerun of the same command skips items already on disk.
 *
 * A shard (`shard: { index, count }`) writes only its range of the items and keeps its own
 * record, run.shard-k-of-n.json: it answers isDone for batches wholly outside its range, so
 * every mode, third-party ones included, skips them unchanged. A batch that straddles a
 * boundary is computed whole (the same batch an unsharded run computes, so the same bytes
 * even where the model is not batch-invariant) and only the shard's items are written: at
 * most one micro-batch of extra work per boundary.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { itemFileName } from '../classes.ts';
import { AbortedError, UserError, firstLine } from '../errors.ts';
import { AtomicAppendFile, overwriteInPlace, writeFileAtomic } from '../io/atomic-file.ts';
import { npyHeader } from '../io/npy.ts';
import { sha256File, sha256Hex } from '../io/sha256.ts';
import type { BatchProbe } from '../model/batch-invariance.ts';
import type { ModeBatch } from '../plugin.ts';
import type { ResultSink, RunInfo, RunSummary } from '../run-types.ts';
import { type InputRecord, claimSaveDir } from './claim-save-dir.ts';
import { recordName } from './run-records.ts';
import { errorCode, fileSystemCause, saveDirError } from './save-dir-error.ts';
import { type ItemRange, type Shard, shardLabel, shardRange } from './shard.ts';

export interface FileSinkOptions {
  readonly saveNpy?: boolean;
  /** Extra fields for the run record (e.g. the CLI's argv). */
  readonly meta?: Record<string, unknown>;
  /** Receives non-fatal notes, e.g. results beyond this run's count left in the folder. */
  readonly onWarning?: (message: string) => void;
  /** Write only this shard's items, with a record of its own. */
  readonly shard?: Shard;
  /** The batch-invariance check of the model this run uses: recorded, and compared with other runs' in the folder. */
  readonly batchProbe?: BatchProbe;
  /** Writes a whole file (default: writeFileAtomic); tests give one that fails as a full disk does. */
  readonly writeFile?: (path: string, data: Uint8Array | string) => Promise<void>;
}

export interface FileSink extends ResultSink {
  /** Items this sink wrote so far (a shard computes, but does not write, its neighbours' items of a straddling batch). */
  readonly written: number;
  /** The items this sink writes: all of them, or a shard's range (known after begin). */
  readonly range: ItemRange | undefined;
}

/**
 * What decides every item's pixels besides the input images: a rerun may only continue a run
 * with the same fingerprint. A run without a noise file keeps the fingerprint earlier versions
 * gave it; with one, the file's contents count, so an edited noise file makes another run.
 */
export function runFingerprint(info: RunInfo): string {
  const { config } = info;
  const p = config.diffusion.params;
  const { noise, guidance_scale, guidance, class: label, classes, n_samples_each_class: perClass } = config.sampler;
  const nullClass = config.model?.null_class ?? -1;
  const decisive = {
    mode: info.mode,
    seed: info.seed,
    timesteps: info.timesteps,
    // The network, not its model card: giving a file its card keeps its runs resumable.
    model: info.model.network_sha256 ?? info.model.sha256,
    params: [p.total_steps, p.beta_schedule, p.beta_start, p.beta_end, p.betas, p.objective, p.clip_denoised, p.eta],
    // Items that stack frames (e.g. interpolation rows) depend on their shape; plain images keep the old fingerprint.
    item_shape: info.plan.itemShape.length === 3 ? undefined : info.plan.itemShape,
    noise,
    input_dir: config.sampler.input_dir,
    // Left out when unset, so runs without masks keep the fingerprint earlier versions gave them.
    masks: config.sampler.mask_dir ?? config.sampler.mask ?? undefined,
    options: config.sampler.options,
    // A conditional model's classes and guidance decide its pixels; each is left out at its
    // default, so runs that set none (every unconditional run) keep their fingerprint.
    ...(label !== null ? { class: label } : {}),
    ...(classes !== null ? { classes } : {}),
    ...(perClass !== null ? { n_samples_each_class: perClass } : {}),
    ...(guidance_scale !== 1 ? { guidance_scale } : {}),
    // The rule combining the two outputs, and the label of the unconditional rows.
    ...(guidance !== 'cfg' ? { guidance } : {}),
    ...(nullClass !== -1 ? { null_class: nullClass } : {}),
    ...(info.startsFrom === 'noise' && noise && existsSync(noise) ? { noise_sha256: sha256File(noise) } : {}),
  };
  return sha256Hex(JSON.stringify(decisive)).slice(0, 16);
}

/** Create the folder, or say in one line why it cannot be one. */
function ensureDir(saveDir: string): void {
  try {
    mkdirSync(saveDir, { recursive: true });
    if (!statSync(saveDir).isDirectory()) throw new Error('it is a file');
  } catch (error) {
    throw new UserError(`cannot use save_dir ${saveDir}: ${fileSystemCause(error)}`, { path: 'sampler.save_dir' });
  }
}

/** Runs `io` on a file; its failure is one line naming `path` and the cause. */
function explained<T>(path: string, io: () => T): T {
  try {
    return io();
  } catch (error) {
    throw saveDirError('write', path, error);
  }
}

/** What a run record says of the check, in the form other runs compare. */
function probeFields(probe: BatchProbe | undefined) {
  if (!probe) return {};
  const { invariant, digest, batch, ms } = probe;
  return { batch_invariant: invariant, batch_probe: { digest, batch, ms: Math.round(ms) } };
}

/** The one-line warning of a failed batch-invariance check. */
function probeWarning(probe: BatchProbe): string {
  return (
    `the model computes a row differently alone and in a batch of ${probe.batch} (max |difference| ${probe.maxDiff.toExponential(2)}): ` +
    'results may depend on --micro_batch, so reruns and shards into one folder must keep the same --micro_batch'
  );
}

/** What a record is made of, besides the sink's options. */
interface RecordState {
  readonly info: RunInfo;
  readonly started: string;
  readonly fingerprint: string;
  readonly range: ItemRange;
  readonly inputs?: InputRecord[];
  readonly written: number;
}

/** The run record (run.json, or run.shard-k-of-n.json), as it is written. */
function runRecord(state: RecordState, options: FileSinkOptions, status: string, summary?: RunSummary, error?: string) {
  const { info } = state;
  const { shard } = options;
  return {
    status,
    error,
    started: state.started,
    finished: summary ? new Date().toISOString() : undefined,
    fingerprint: state.fingerprint,
    mode: info.mode,
    seed: info.seed,
    items: info.plan.count,
    ...(shard ? { shard: { ...shard, ...state.range } } : {}),
    timesteps: info.timesteps,
    model: info.model,
    picture: info.picture,
    ...(info.labels ? { labels: info.labels } : {}),
    ...(info.warnings.length > 0 ? { warnings: info.warnings } : {}),
    ...probeFields(options.batchProbe),
    config: info.config,
    timings: summary?.timings,
    computed: summary?.computed,
    ...(shard ? { written: summary ? state.written : undefined } : {}),
    inputs: state.inputs,
    ...options.meta,
  };
}

/** samples.npy (and latents.npy), their headers written; rows are appended as batches come. */
function openNpy(saveDir: string, info: RunInfo): { samples: AtomicAppendFile; latents?: AtomicAppendFile } {
  const { count, itemShape } = info.plan;
  const open = (name: string, header: Uint8Array) =>
    explained(join(saveDir, name), () => {
      const file = new AtomicAppendFile(join(saveDir, name));
      file.append(header);
      return file;
    });
  const samples = open('samples.npy', npyHeader([count, ...itemShape]));
  if (!info.plan.latents) return { samples };
  const { channels, height, width } = info.shape;
  return { samples, latents: open('latents.npy', npyHeader([count, channels, height, width])) };
}

/**
 * Where item `index` is written: `{index}.png`, or class-major `class{c}/{idx}.png` as the
 * original's sample_classifier_free.py writes them (`make`: its class folder is made first).
 */
function itemPath(saveDir: string, index: number, perClass: number | undefined, make = false): string {
  const path = join(saveDir, itemFileName(index, perClass));
  if (make && perClass !== undefined) ensureDir(dirname(path));
  return path;
}

/**
 * Results as files in saveDir.
 *
 * @example
 * await pipeline.run({ sink: fileSink('out', { shard: { index: 1, count: 4 } }) }); // items [N/4, N/2) and run.shard-1-of-4.json
 */
export function fileSink(saveDir: string, options: FileSinkOptions = {}): FileSink {
  const { shard } = options;
  if (shard && options.saveNpy) {
    throw new UserError(`--save_npy cannot go with --shard ${shardLabel(shard)}: samples.npy is one file of every item; run unsharded, or use the PNGs`, { path: 'sampler.save_npy' });
  }
  let state: RecordState | undefined;
  let written = 0;
  let npy: ReturnType<typeof openNpy> | undefined;
  const name = recordName(shard);
  const inRange = (i: number) => i >= state!.range.start && i < state!.range.end;
  const writeFile = options.writeFile ?? writeFileAtomic;
  /** A whole file, its failure one line naming the file (not its temp name) and the cause. */
  const writeResult = (path: string, data: Uint8Array | string) =>
    writeFile(path, data).catch((error: unknown) => {
      throw saveDirError('write', path, error);
    });
  const recordText = (status: string, summary?: RunSummary, error?: string) => JSON.stringify(runRecord({ ...state!, written }, options, status, summary, error), null, 2);
  const saveRecord = (status: string, summary?: RunSummary) => writeResult(join(saveDir, name), recordText(status, summary));
  /** The record of a failed run: beside the old one and renamed, or on a full disk in its place. */
  const saveFailure = async (error: string) => {
    const path = join(saveDir, name);
    const text = recordText('failed', undefined, error);
    await writeFile(path, text).catch(() => overwriteInPlace(path, recordText('failed', undefined, error.slice(0, 200))));
  };

  return {
    get written() {
      return written;
    },
    get range() {
      return state?.range;
    },
    begin(info) {
      const range = shard ? shardRange(shard, info.plan.count) : { start: 0, end: info.plan.count };
      state = { info, started: new Date().toISOString(), fingerprint: runFingerprint(info), range, written: 0 };
      ensureDir(saveDir);
      const inputs = claimSaveDir(saveDir, info, runRecord(state, options, 'running'), name, options.onWarning);
      state = { ...state, inputs };
      if (options.batchProbe && !options.batchProbe.invariant) options.onWarning?.(probeWarning(options.batchProbe));
      if (options.saveNpy) npy = openNpy(saveDir, info);
      return saveRecord('running');
    },
    isDone(start, count) {
      // npy files are rebuilt whole, so a run that writes them recomputes everything.
      if (options.saveNpy) return false;
      for (let i = start; i < start + count; i++) if (inRange(i) && !existsSync(itemPath(saveDir, i, state!.info.perClass))) return false;
      return true;
    },
    async write(batch: ModeBatch, pngs) {
      const mine = pngs.flatMap((png, i) => (inRange(batch.start + i) ? [{ index: batch.start + i, png }] : []));
      // Every write is awaited before a failure is thrown: none is left half done behind it.
      const results = await Promise.allSettled(mine.map(({ index, png }) => writeResult(itemPath(saveDir, index, state!.info.perClass, true), png)));
      written += results.filter((result) => result.status === 'fulfilled').length;
      const failed = results.find((result) => result.status === 'rejected');
      if (failed) throw failed.reason;
      const bytes = (a: Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
      if (npy) explained(npy.samples.path, () => npy!.samples.append(bytes(batch.samples)));
      if (npy?.latents && batch.latents) explained(npy.latents.path, () => npy!.latents!.append(bytes(batch.latents!)));
    },
    async finish(summary) {
      if (npy) explained(npy.samples.path, () => npy!.samples.commit());
      if (npy?.latents) explained(npy.latents.path, () => npy!.latents!.commit());
      await saveRecord('complete', summary);
    },
    async abort(error) {
      npy?.samples.abort();
      npy?.latents?.abort();
      // A run that failed says so, and why; an interrupted one stays "running" (a rerun continues it).
      if (!state || error === undefined || error instanceof AbortedError) return;
      try {
        await saveFailure(firstLine(error));
      } catch (recordError) {
        // "either" only for the same known cause; two errors without a code are not the same cause.
        const code = errorCode(recordError);
        const why = code !== undefined && code === errorCode((error as Error).cause) ? ' either' : `: ${fileSystemCause(recordError)}`;
        if (error instanceof Error) error.message += ` (${name} could not be marked failed${why})`;
      }
    },
  };
}
