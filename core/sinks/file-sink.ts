/**
 * Results as files, the way the reference tool writes them: {idx}.png per item in
 * save_dir, plus run.json and, on request, samples.npy / latents.npy. Every file is
 * written atomically; a rerun of the same command skips items already on disk.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { UserError } from '../errors.ts';
import { AtomicAppendFile, writeFileAtomic } from '../io/atomic-file.ts';
import { npyHeader } from '../io/npy.ts';
import type { ModeBatch } from '../plugin.ts';
import type { ResultSink, RunInfo, RunSummary } from '../pipeline.ts';

export interface FileSinkOptions {
  readonly saveNpy?: boolean;
  /** Extra fields for run.json (e.g. the CLI's argv). */
  readonly meta?: Record<string, unknown>;
}

/** What decides every item's pixels: a rerun may only continue a run with the same fingerprint. */
function fingerprint(info: RunInfo): string {
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
  };
  return createHash('sha256').update(JSON.stringify(decisive)).digest('hex').slice(0, 16);
}

export function fileSink(saveDir: string, options: FileSinkOptions = {}): ResultSink {
  let info: RunInfo | undefined;
  let started = '';
  let samplesNpy: AtomicAppendFile | undefined;
  let latentsNpy: AtomicAppendFile | undefined;
  const runJson = join(saveDir, 'run.json');

  const record = (status: string, summary?: RunSummary) => ({
    status,
    started,
    finished: summary ? new Date().toISOString() : undefined,
    fingerprint: fingerprint(info!),
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
      mkdirSync(saveDir, { recursive: true });
      if (existsSync(runJson)) {
        let previous: { fingerprint?: string } = {};
        try {
          previous = JSON.parse(readFileSync(runJson, 'utf8'));
        } catch {
          // An unreadable run.json is replaced below.
        }
        if (previous.fingerprint && previous.fingerprint !== fingerprint(runInfo)) {
          throw new UserError(
            `save_dir ${saveDir} holds results of a run with other settings (see its run.json); choose another --save_dir or empty it`,
          );
        }
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
