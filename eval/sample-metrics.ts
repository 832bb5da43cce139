/** The samples side of an evaluation: their distance to the reference statistics and their score. */
import { UserError } from '../core/errors.ts';
import { bytesImageSource } from '../core/io/image-files.ts';
import type { FeatureModel } from '../core/model/feature-model.ts';
import { classAccuracy } from './class-accuracy.ts';
import type { ClassAccuracyReport, EvalProgress, EvalReport, ScoreReport } from './eval-types.ts';
import { featurePass } from './feature-pass.ts';
import type { GaussianStats } from './feature-stats.ts';
import { frechetDistance } from './frechet-distance.ts';
import type { SampleLabels } from './sample-labels.ts';

export interface SampleMetrics {
  readonly samples: NonNullable<EvalReport['samples']>;
  readonly frechetDistance: number | null;
  readonly inceptionScore: ScoreReport | null;
  readonly classAccuracy: ClassAccuracyReport | null;
}

export interface SampleContext {
  readonly model: FeatureModel;
  readonly batchSize: number;
  readonly splits: number;
  readonly warn: (message: string) => void;
  readonly onProgress?: (progress: EvalProgress) => void;
  /** Null when there is nothing to measure a distance to. */
  readonly referenceStats: GaussianStats | null;
  /** Names the reference in messages. */
  readonly referencePath: string | undefined;
  /** The images' intended classes, when some are known and the model has logits (range already checked). */
  readonly labels?: SampleLabels;
}

function distanceToReference(samples: GaussianStats, reference: GaussianStats, referencePath: string | undefined): number {
  try {
    return frechetDistance(samples, reference);
  } catch (error) {
    // Covariances this toolkit computes are PSD; one read from a file need not be.
    if (!(error instanceof RangeError)) throw error;
    throw new UserError(`reference ${referencePath ?? 'statistics'}: its covariance is not positive semi-definite, as one of features must be; recompute it`);
  }
}

/** Run the sample images through the model once, for both metrics. */
export async function evaluateSamples(dir: string, files: readonly string[], context: SampleContext): Promise<SampleMetrics> {
  const { model, referenceStats } = context;
  const { info } = model;
  if (info.features && referenceStats && files.length < 2) throw new UserError(`samples folder ${dir} has 1 image; the distance needs at least 2`);
  const pass = await featurePass(model, bytesImageSource(files, info.height, info.channels), {
    phase: 'samples', batchSize: context.batchSize, splits: context.splits, scoreRequired: true, wantStats: referenceStats !== null, onProgress: context.onProgress,
    keepPredictions: context.labels !== undefined,
  });
  const distance = pass.stats && referenceStats ? distanceToReference(pass.stats, referenceStats, context.referencePath) : null;
  if (distance !== null && pass.count < info.features!.dim) {
    context.warn(
      `${pass.count} samples for ${info.features!.dim}-d features: the distance is biased upward at small N; ` +
        `use at least ${info.features!.dim} images, and compare distances only at equal N`,
    );
  }
  const accuracy = context.labels && pass.predictions ? classAccuracy(context.labels, pass.predictions, info.logits!.classes) : null;
  return { samples: { path: dir, count: pass.count }, frechetDistance: distance, inceptionScore: pass.score, classAccuracy: accuracy };
}
