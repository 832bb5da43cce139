import type * as v from 'valibot';
import { encodePng } from '../core/io/png.ts';
import { renderPicture } from '../core/io/picture.ts';
import type { RunInfo } from '../core/run-types.ts';
import { encodeBase64 } from './base64.ts';
import type { ProgressEventSchema, ResultSchema } from './response-schemas.ts';
import type { RequestResult } from './request-types.ts';
import type { Progress } from '../core/run-types.ts';

/** An item's class, where it has one (a conditional model's run with a class). */
function classField(classOf: RequestResult['classOf'], index: number): { class?: number } {
  const label = classOf?.(index) ?? -1;
  return label >= 0 ? { class: label } : {};
}

/** The JSON answer (and the SSE `result` event) of a finished request. */
export function resultBody(result: RequestResult): v.InferOutput<typeof ResultSchema> {
  const { info, pngs, summary } = result;
  return {
    id: result.id,
    mode: info.mode,
    seed: info.seed,
    timesteps: [...info.timesteps],
    count: info.plan.count,
    picture: info.picture,
    images: pngs.map((png, index) => ({ index, png: encodeBase64(png), ...classField(result.classOf, index) })),
    model: { sha256: info.model.sha256 },
    warnings: [...info.warnings],
    timings: { total_ms: Math.round(summary.timings.totalMs * 10) / 10, items_per_second: Math.round(summary.timings.itemsPerSecond * 100) / 100 },
  };
}

export function progressBody(p: Progress): v.InferOutput<typeof ProgressEventSchema> {
  return {
    direction: p.direction,
    step: p.step,
    steps: p.steps,
    batch: p.batch,
    items_done: p.itemsDone,
    items: p.items,
    elapsed_ms: Math.round(p.elapsedMs),
  };
}

/**
 * PNGs (base64) of a batch's x0 prediction, one per sample. The pixels are copied
 * before returning, so the sampler may reuse its buffer at once.
 */
export function previewImages(x0: Float32Array, shape: RunInfo['shape']): Promise<string[]> {
  const { channels, height, width } = shape;
  const size = channels * height * width;
  const layout = { channels, height, width, frames: 1, border: 0 };
  const pictures: Uint8Array[] = [];
  for (let offset = 0; offset + size <= x0.length; offset += size) pictures.push(renderPicture(x0, offset, layout));
  return Promise.all(pictures.map(async (picture) => encodeBase64(await encodePng(picture, width, height, channels))));
}
