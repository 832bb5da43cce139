/**
 * Carrying out a prepared run: the DDIM engine over the model (or a scheduler lane), the
 * mode's micro-batches, PNG rendering, and the sink. PNG encoding and writing of one batch
 * overlap the next batch's model calls.
 */
import { runLabels } from './classes.ts';
import { encodePng } from './io/png.ts';
import { pictureSize, renderPicture } from './io/picture.ts';
import type { DiffusionModel } from './model/model.ts';
import { PluginError } from './errors.ts';
import { type ModeBatch, type ModeContext, modeInputs } from './plugin.ts';
import type { PreparedRun, RunHooks, RunInfo, RunSummary } from './run-types.ts';
import { DdimSampler, type SamplerSettings, type StepEvent } from './sampler.ts';

/** Black pixels around and between the frames of one PNG. */
const BORDER = 2;

/** The model file's digest, and its network's (the file less its model card). */
export interface ModelDigest {
  readonly sha256: string;
  readonly networkSha256: string;
}

function runInfo(prepared: PreparedRun, model: DiffusionModel, digest: ModelDigest, picture: { width: number; height: number }): RunInfo {
  const { config, mode, plan, timesteps, planContext } = prepared;
  const labels = runLabels(prepared.classes, plan.count);
  return {
    config,
    mode: mode.name,
    startsFrom: mode.startsFrom ?? 'noise',
    inputs: modeInputs(mode),
    plan,
    ...(prepared.classes.perClass !== undefined ? { perClass: prepared.classes.perClass } : {}),
    ...(labels ? { labels } : {}),
    timesteps,
    seed: config.seed,
    model: {
      path: model.info.path,
      sha256: digest.sha256,
      ...(digest.networkSha256 !== digest.sha256 ? { network_sha256: digest.networkSha256 } : {}),
      providers: model.info.providers,
    },
    shape: planContext.shape,
    picture: { ...picture, channels: planContext.shape.channels },
    warnings: prepared.warnings,
  };
}

/** A mode's batch must be whole items of its plan, in order, with the values its plan promises. */
function checkBatch(prepared: PreparedRun, batch: ModeBatch, itemSize: number, frameValues: number): void {
  const { mode, plan } = prepared;
  const fail = (what: string) => {
    throw new PluginError(mode.name, `mode yielded a malformed batch: ${what}`);
  };
  if (batch === null || typeof batch !== 'object') fail(`expected { start, count, samples }, got ${String(batch)}`);
  const { start, count, samples, frames } = batch;
  if (!Number.isInteger(start) || !Number.isInteger(count) || count < 1 || start < 0 || start + count > plan.count) {
    fail(`items [${start}, ${start}+${count}) are not within the plan's ${plan.count}`);
  }
  if (!(samples instanceof Float32Array) || samples.length !== count * itemSize) fail(`samples must be a Float32Array of ${count}·${itemSize} values`);
  if (frames !== undefined && (!(frames instanceof Float32Array) || frames.length !== count * frameValues)) {
    fail(`frames must be a Float32Array of ${count}·${frameValues} values`);
  }
  if (frames === undefined && itemSize !== frameValues) fail(`no frames, and samples hold ${itemSize} values per item where its PNG shows ${frameValues}`);
}

/** The DDIM engine's settings for a prepared run: its ᾱ, timesteps, objective, clipping, eta and seed. */
export function samplerSettings(prepared: PreparedRun): SamplerSettings {
  const params = prepared.config.diffusion.params;
  return {
    alphasCumprod: prepared.alphasCumprod,
    timesteps: prepared.timesteps,
    objective: params.objective,
    clipDenoised: params.clip_denoised,
    eta: params.eta,
    seed: prepared.config.seed,
    guidanceScale: prepared.config.sampler.guidance_scale,
    guidance: prepared.guidance,
    totalSteps: prepared.alphasCumprod.length,
  };
}

/** Run a prepared run on `model` and hand every finished micro-batch to the sink. */
export async function executeRun(prepared: PreparedRun, model: DiffusionModel, digest: ModelDigest, hooks: RunHooks): Promise<RunSummary> {
  const started = performance.now();
  const { sink, signal } = hooks;
  const { plan, planContext } = prepared;
  const { channels, height, width } = planContext.shape;
  const items = plan.count;
  let itemsDone = 0;
  const onStep = hooks.onProgress
    ? (event: StepEvent) => hooks.onProgress!({ ...event, itemsDone, items, elapsedMs: performance.now() - started })
    : undefined;
  const sampler = new DdimSampler(model, samplerSettings(prepared), { signal, onStep, previewEvery: hooks.previewEvery, onPreview: hooks.onPreview });
  const context: ModeContext<unknown> = {
    ...planContext,
    sampler,
    initialNoise: prepared.initialNoise,
    isDone: (start, count) => sink.isDone(start, count),
    signal,
  };
  const layout = { channels, height, width, frames: plan.framesPerItem, border: BORDER };
  const picture = pictureSize(layout);
  await sink.begin(runInfo(prepared, model, digest, picture));

  let pending: Promise<void> = Promise.resolve();
  let computed = 0;
  try {
    const perItem = plan.framesPerItem * channels * height * width;
    const itemSize = plan.itemShape.reduce((a, b) => a * b, 1);
    for await (const batch of prepared.mode.run(context, plan)) {
      checkBatch(prepared, batch, itemSize, perItem);
      const frames = batch.frames ?? batch.samples;
      const encoding = Promise.all(
        Array.from({ length: batch.count }, (_, i) => encodePng(renderPicture(frames, i * perItem, layout), picture.width, picture.height, channels)),
      );
      await pending;
      pending = encoding.then((pngs) => sink.write(batch, pngs));
      // Awaited before the next batch is handed on; a write that fails meanwhile is not unhandled.
      pending.catch(() => undefined);
      computed += batch.count;
      itemsDone = Math.max(itemsDone, batch.start + batch.count);
    }
    await pending;
  } catch (error) {
    await pending.catch(() => undefined);
    await sink.abort(error);
    throw error;
  }
  const totalMs = performance.now() - started;
  const summary: RunSummary = { items, computed, timings: { totalMs, itemsPerSecond: computed / (totalMs / 1000) } };
  await sink.finish(summary);
  return summary;
}
