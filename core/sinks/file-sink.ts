/**
 * Results as files, the way the reference tool writes them: {idx}.png per item in
 * save_dir, plus run.json and, on request, samples.npy / latents.npy. Every file is
 * written atomically; a rerun of the same command skips items already on disk.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { firstLine, UserError } from '../errors.ts';
import { listImages } from '../io/images.ts';
import { AtomicAppendFile, writeFileAtomic } from '../io/atomic-file.ts';
import { npyHeader } from '../io/npy.ts';
import { sha256File, sha256Hex } from '../io/sha256.ts';
import type { ModeBatch } from '../plugin.ts';
import type { ResultSink, RunInfo, RunSummary } from '../run-types.ts';

export interface FileSinkOptions {
  readonly saveNpy?: boolean;
  /** Extra fields for run.json (e.g. the CLI's argv). */
  readonly meta?: Record<string, unknown>;
  /** Receives non-fatal notes, e.g. results beyond this run's count left in the folder. */
  readonly onWarning?: (message: string) => void;
}

const RESULT_FILE = /^(\d+)\.png$/;

/** The indices of the {idx}.png results in a folder, and whether it holds .npy results. */
function resultsIn(saveDir: string): { indices: number[]; npy: boolean } {
  let names: string[];
  try {
    names = readdirSync(saveDir);
  } catch (error) {
    throw new UserError(`cannot read save_dir ${saveDir}: ${firstLine(error)}`, { path: 'sampler.save_dir' });
  }
  const indices = names.flatMap((name) => {
    const match = RESULT_FILE.exec(name);
    return match ? [Number(match[1])] : [];
  });
  return { indices, npy: names.includes('samples.npy') || names.includes('latents.npy') };
}

/** One input image of a run that starts from images: its path under input_dir and its digest. */
interface InputRecord {
  readonly file: string;
  readonly sha256: string;
}

/**
 * The input images a run that starts from images uses (the first plan.count, as the pipeline
 * lists them), so that an edited or inserted image is caught. They are compared one by one,
 * not folded into the fingerprint, so that a rerun with another --n_samples continues.
 */
function inputRecords(info: RunInfo, saveDir: string): InputRecord[] | undefined {
  const inputDir = info.config.sampler.input_dir;
  if (!info.inputs.includes('images') || !inputDir || !existsSync(inputDir)) return undefined;
  return listImages(inputDir, saveDir)
    .slice(0, info.plan.count)
    .map((file) => ({ file: relative(inputDir, file), sha256: sha256File(file) }));
}

/** The first of `current` that differs from what an earlier run recorded at its place. */
function firstChangedInput(recorded: unknown, current: readonly InputRecord[]): number {
  if (!Array.isArray(recorded)) return -1; // written before inputs were recorded
  return current.findIndex((input, i) => i < recorded.length && (recorded[i]?.file !== input.file || recorded[i]?.sha256 !== input.sha256));
}

/**
 * What decides every item's pixels besides the input images: a rerun may only continue a run
 * with the same fingerprint. A run without a noise file keeps the fingerprint earlier versions
 * gave it; with one, the file's contents count, so an edited noise file makes another run.
 */
export function runFingerprint(info: RunInfo): string {
  const { config } = info;
  const p = config.diffusion.params;
  const { noise } = config.sampler;
  const decisive = {
    mode: info.mode,
    seed: info.seed,
    timesteps: info.timesteps,
    model: info.model.sha256,
    params: [p.total_steps, p.beta_schedule, p.beta_start, p.beta_end, p.betas, p.objective, p.clip_denoised, p.eta],
    // Items that stack frames (e.g. interpolation rows) depend on their shape; plain images keep the old fingerprint.
    item_shape: info.plan.itemShape.length === 3 ? undefined : info.plan.itemShape,
    noise,
    input_dir: config.sampler.input_dir,
    // Left out when unset, so runs without masks keep the fingerprint earlier versions gave them.
    masks: config.sampler.mask_dir ?? config.sampler.mask ?? undefined,
    options: config.sampler.options,
    ...(info.startsFrom === 'noise' && noise && existsSync(noise) ? { noise_sha256: sha256File(noise) } : {}),
  };
  return sha256Hex(JSON.stringify(decisive)).slice(0, 16);
}

/**
 * Check that a run may write into saveDir: a folder with results must hold this very run's
 * (same fingerprint, same input images). Returns the input records run.json keeps.
 */
function claimSaveDir(saveDir: string, runInfo: RunInfo, fingerprint: string, onWarning?: (message: string) => void): InputRecord[] | undefined {
  const runJson = join(saveDir, 'run.json');
    let previous: { fingerprint?: string; inputs?: unknown } | undefined;
    let unreadable = false;
    if (existsSync(runJson)) {
      try {
        previous = JSON.parse(readFileSync(runJson, 'utf8'));
      } catch {
        unreadable = true;
      }
    }
    let inputs = inputRecords(runInfo, saveDir);
    const found = resultsIn(saveDir);
    const hasResults = found.indices.length > 0 || found.npy;
    // Only results of this very run may be continued; a folder whose run left nothing behind
    // (it failed before its first image) is free to take.
    if (hasResults && previous?.fingerprint === undefined) {
      const why = unreadable ? 'an unreadable run.json' : 'no run.json';
      throw new UserError(
        `save_dir ${saveDir} holds results with ${why}, so not from a run this toolkit can continue; choose another --save_dir or empty it`,
        { path: 'sampler.save_dir' },
      );
    }
    if (hasResults && previous!.fingerprint !== fingerprint) {
      throw new UserError(
        `save_dir ${saveDir} holds results of another run (other settings, model or noise file; see its run.json); choose another --save_dir or empty it`,
        { path: 'sampler.save_dir' },
      );
    }
    if (hasResults && inputs) {
      const changed = firstChangedInput(previous!.inputs, inputs);
      if (changed !== -1) {
        throw new UserError(
          `save_dir ${saveDir} holds results made from other input images (${changed}.png came from another ${inputs[changed]!.file}); choose another --save_dir or empty it`,
          { path: 'sampler.save_dir' },
        );
      }
      // Keep the record of results beyond this run's inputs, so a later, larger rerun checks them too.
      if (Array.isArray(previous!.inputs) && previous!.inputs.length > inputs.length) {
        inputs = [...inputs, ...(previous!.inputs.slice(inputs.length) as InputRecord[])];
      }
    }
    const beyond = found.indices.filter((index) => index >= runInfo.plan.count).length;
    if (beyond > 0) {
      onWarning?.(
        `save_dir ${saveDir} also holds ${beyond} image${beyond === 1 ? '' : 's'} beyond this run's ${runInfo.plan.count} (from an earlier, larger run with the same settings); they are left as they are`,
      );
    }
  return inputs;
}

export function fileSink(saveDir: string, options: FileSinkOptions = {}): ResultSink {
  let info: RunInfo | undefined;
  let fingerprint = '';
  let inputs: InputRecord[] | undefined;
  let started = '';
  let samplesNpy: AtomicAppendFile | undefined;
  let latentsNpy: AtomicAppendFile | undefined;
  const runJson = join(saveDir, 'run.json');

  const record = (status: string, summary?: RunSummary) => ({
    status,
    started,
    finished: summary ? new Date().toISOString() : undefined,
    fingerprint,
    mode: info!.mode,
    seed: info!.seed,
    items: info!.plan.count,
    timesteps: info!.timesteps,
    model: info!.model,
    config: info!.config,
    timings: summary?.timings,
    computed: summary?.computed,
    inputs,
    ...options.meta,
  });

  return {
    begin(runInfo) {
      info = runInfo;
      started = new Date().toISOString();
      try {
        mkdirSync(saveDir, { recursive: true });
        if (!statSync(saveDir).isDirectory()) throw new Error('it is a file');
      } catch (error) {
        throw new UserError(`cannot use save_dir ${saveDir}: ${firstLine(error)}`, { path: 'sampler.save_dir' });
      }
      fingerprint = runFingerprint(runInfo);
      inputs = claimSaveDir(saveDir, runInfo, fingerprint, options.onWarning);
      if (options.saveNpy) {
        const { count, itemShape } = runInfo.plan;
        samplesNpy = new AtomicAppendFile(join(saveDir, 'samples.npy'));
        samplesNpy.append(npyHeader([count, ...itemShape]));
        if (runInfo.plan.latents) {
          const { channels, height, width } = runInfo.shape;
          latentsNpy = new AtomicAppendFile(join(saveDir, 'latents.npy'));
          latentsNpy.append(npyHeader([count, channels, height, width]));
        }
      }
      return writeFileAtomic(runJson, JSON.stringify(record('running'), null, 2));
    },
    isDone(start, count) {
      // npy files are rebuilt whole, so a run that writes them recomputes everything.
      if (options.saveNpy) return false;
      for (let i = start; i < start + count; i++) if (!existsSync(join(saveDir, `${i}.png`))) return false;
      return true;
    },
    async write(batch: ModeBatch, pngs) {
      await Promise.all(pngs.map((png, i) => writeFileAtomic(join(saveDir, `${batch.start + i}.png`), png)));
      const bytes = (a: Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
      samplesNpy?.append(bytes(batch.samples));
      if (latentsNpy && batch.latents) latentsNpy.append(bytes(batch.latents));
    },
    async finish(summary) {
      samplesNpy?.commit();
      latentsNpy?.commit();
      await writeFileAtomic(runJson, JSON.stringify(record('complete', summary), null, 2));
    },
    async abort() {
      samplesNpy?.abort();
      latentsNpy?.abort();
    },
  };
}
