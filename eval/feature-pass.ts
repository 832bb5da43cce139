/** One pass of an image source through the feature model, feeding the metric accumulators. */
import { UserError } from '../core/errors.ts';
import type { ImageSource } from '../core/io/image-source.ts';
import type { FeatureModel } from '../core/model/feature-model.ts';
import type { EvalProgress, ScoreReport } from './eval-types.ts';
import { type FeatureStats, type FeatureStatsAccumulator, featureStatsAccumulator } from './feature-stats.ts';
import { type InceptionScoreAccumulator, inceptionScoreAccumulator } from './inception-score.ts';

export interface PassResult {
  readonly count: number;
  readonly stats: FeatureStats | null;
  readonly score: ScoreReport | null;
  /** Images whose top class is their label; 0 without labels. */
  readonly correct: number;
  /** Each image's top class (argmax of its logits), when asked for and the model has logits. */
  readonly predictions: Int32Array | null;
}

export interface PassOptions {
  readonly phase: EvalProgress['phase'];
  readonly batchSize: number;
  readonly splits: number;
  /** Whether fewer images than splits is an error (samples) or just means no score (reference). */
  readonly scoreRequired: boolean;
  readonly wantStats: boolean;
  readonly labels?: Uint8Array;
  /** Keep each image's top class (for class accuracy against labels known only later). */
  readonly keepPredictions?: boolean;
  readonly onProgress?: (progress: EvalProgress) => void;
}

/** A NaN or infinity would poison every statistic silently: name the image that gave it. */
function assertFinite(values: Float32Array, width: number, what: string, model: FeatureModel, source: ImageSource, start: number): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]!)) {
      throw new UserError(`feature model ${model.info.path} gave non-finite ${what} for ${source.names[start + Math.floor(i / width)]}`);
    }
  }
}

/** The class with the largest logit in row r (the first of equal ones). */
function topClass(logits: Float32Array, classes: number, r: number): number {
  let best = 0;
  for (let c = 1; c < classes; c++) if (logits[r * classes + c]! > logits[r * classes + best]!) best = c;
  return best;
}

/** How many of `batch` rows of logits put their largest value on the image's label. */
function countCorrect(logits: Float32Array, classes: number, batch: number, labels: Uint8Array, start: number): number {
  let correct = 0;
  for (let r = 0; r < batch; r++) if (topClass(logits, classes, r) === labels[start + r]) correct++;
  return correct;
}

function scoreAccumulator(model: FeatureModel, total: number, options: PassOptions): InceptionScoreAccumulator | undefined {
  const { logits } = model.info;
  if (!logits) return undefined;
  if (total >= options.splits) return inceptionScoreAccumulator(total, logits.classes, options.splits);
  if (options.scoreRequired) {
    throw new UserError(`the score over ${options.splits} splits needs at least ${options.splits} images, found ${total}; lower --splits`);
  }
  return undefined;
}

/** Run every image of `source` through the model once, feeding the accumulators. */
export async function featurePass(model: FeatureModel, source: ImageSource, options: PassOptions): Promise<PassResult> {
  const { info } = model;
  const total = source.count;
  const stats: FeatureStatsAccumulator | undefined = options.wantStats && info.features ? featureStatsAccumulator(info.features.dim) : undefined;
  const score = scoreAccumulator(model, total, options);
  const images = new Float32Array(options.batchSize * info.channels * info.height * info.width);
  const started = performance.now();
  const predictions = options.keepPredictions && info.logits ? new Int32Array(total) : null;
  let correct = 0;
  for (let start = 0; start < total; start += options.batchSize) {
    const batch = Math.min(options.batchSize, total - start);
    await source.read(start, batch, images);
    const out = await model.run(images, batch);
    if (out.features && stats) {
      assertFinite(out.features, info.features!.dim, 'features', model, source, start);
      stats.add(out.features, batch);
    }
    if (out.logits) {
      assertFinite(out.logits, info.logits!.classes, 'logits', model, source, start);
      score?.add(out.logits, batch);
      if (options.labels) correct += countCorrect(out.logits, info.logits!.classes, batch, options.labels, start);
      if (predictions) for (let r = 0; r < batch; r++) predictions[start + r] = topClass(out.logits, info.logits!.classes, r);
    }
    options.onProgress?.({ phase: options.phase, done: start + batch, total, elapsedMs: performance.now() - started });
  }
  const result = score?.finish();
  return {
    count: total,
    stats: stats && total >= 2 ? stats.finish() : null,
    score: result ? { ...result, splits: options.splits } : null,
    correct,
    predictions,
  };
}
