/**
 * Results as files, the way the reference tool writes them: {idx}.png per item in
 * save_dir, plus run.json and, on request, samples.npy / latents.npy. Every file is
 * written atomically; a rerun of the same command skips items already on disk.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createHash } from 'node:crypto';
import { firstLine, UserError } from '../errors.ts';
import { listImages } from '../io/images.ts';
import { AtomicAppendFile, writeFileAtomic } from '../io/atomic-file.ts';
import { npyHeader } from '../io/npy.ts';
import type { ModeBatch } from '../plugin.ts';
import type { ResultSink, RunInfo, RunSummary } from '../pipeline.ts';

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

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * The contents a run reads besides its settings, so that an edited noise file or input image
 * makes another run: the noise file of a run that starts from noise, or the input images a run
 * that starts from images uses (the first plan.count, as the pipeline lists them).
 */
function inputsDigest(info: RunInfo, saveDir: string): { noise_sha256?: string; inputs_sha256?: string } {
  const { noise, input_dir: inputDir } = info.config.sampler;
  if (info.startsFrom === 'noise') return noise && existsSync(noise) ? { noise_sha256: sha256(readFileSync(noise)) } : {};
  if (!inputDir || !existsSync(inputDir)) return {};
  const hash = createHash('sha256');
  for (const file of listImages(inputDir, saveDir).slice(0, info.plan.count)) {
    hash.update(`${relative(inputDir, file)}\0${sha256(readFileSync(file))}\n`);
  }
  return { inputs_sha256: hash.digest('hex') };
}

/**
 * What decides every item's pixels: a rerun may only continue a run with the same fingerprint.
 * Runs without a noise file or input images keep the fingerprint earlier versions gave them.
 */
export function runFingerprint(info: RunInfo, saveDir: string): string {
  const { config } = info;
  const p = config.diffusion.params;
  const decisive = {
    mode: info.mode,
    seed: info.seed,
    timesteps: info.timesteps,
    model: info.model.sha256,
    params: [p.total_steps, p.beta_schedule, p.beta_start, p.beta_end, p.betas, p.objective, p.clip_denoised, p.eta],
    n_interpolate: info.mode === 'interpolate' ? config.sampler.n_interpolate : undefined,
    noise: config.sampler.noise,
    input_dir: config.sampler.input_dir,
    options: config.sampler.options,
    ...inputsDigest(info, saveDir),
  };
  return createHash('sha256').update(JSON.stringify(decisive)).digest('hex').slice(0, 16);
}

export function fileSink(saveDir: string, options: FileSinkOptions = {}): ResultSink {
  let info: RunInfo | undefined;
  let fingerprint = '';
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
      let previous: { fingerprint?: string } | undefined;
      let unreadable = false;
      if (existsSync(runJson)) {
        try {
          previous = JSON.parse(readFileSync(runJson, 'utf8'));
        } catch {
          unreadable = true;
        }
      }
      fingerprint = runFingerprint(runInfo, saveDir);
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
          `save_dir ${saveDir} holds results of another run (other settings or input files; see its run.json); choose another --save_dir or empty it`,
          { path: 'sampler.save_dir' },
        );
      }
      const beyond = found.indices.filter((index) => index >= runInfo.plan.count).length;
      if (beyond > 0) {
        options.onWarning?.(
          `save_dir ${saveDir} also holds ${beyond} image${beyond === 1 ? '' : 's'} beyond this run's ${runInfo.plan.count} (from an earlier, larger run with the same settings); they are left as they are`,
        );
      }
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
