/** The options and the report of an evaluation: what `ddim eval` takes and what it prints (or --json writes). */
import type { FeatureModelOptions } from '../core/model/feature-model.ts';

export type ReferenceKind = 'stats' | 'npz' | 'images' | 'idx';

export interface EvalProgress {
  readonly phase: 'reference' | 'samples';
  readonly done: number;
  readonly total: number;
  readonly elapsedMs: number;
}

export interface EvalOptions extends Pick<FeatureModelOptions, 'featuresOutput' | 'logitsOutput' | 'imageSize' | 'inputRange' | 'providers' | 'intraOpThreads'> {
  /** The feature / classifier ONNX model. */
  readonly features: string;
  /** A folder of sample images (searched recursively); may be left out only with saveStats. */
  readonly samples?: string;
  /**
   * A folder of images, an idx3 images file (gzipped or not), a stats file written by
   * saveStats, or another FID tool's .npz statistics (`mu`, `sigma`).
   */
  readonly reference?: string;
  /** An idx1 labels file for an idx reference: the model's accuracy on it is reported and saved. */
  readonly referenceLabels?: string;
  /** Black border added around idx images (2: 28×28 Fashion-MNIST becomes the 32×32 the DDPM learned). */
  readonly referencePad?: number;
  /** Stats file used when no reference is given and it was computed with this very model (same hash). */
  readonly defaultReference?: string;
  /** Write the reference's statistics here (needs an image or idx reference). */
  readonly saveStats?: string;
  readonly splits?: number;
  /** Images per model call; default: as many as fit 4 Mi input values, at most 250. */
  readonly batchSize?: number;
  /** Recorded in saved stats files: how they were made. */
  readonly createdBy?: string;
  readonly onProgress?: (progress: EvalProgress) => void;
  readonly onWarning?: (message: string) => void;
}

export interface ScoreSummary {
  readonly mean: number;
  readonly std: number;
  readonly splits: number;
}

export interface ScoreReport extends ScoreSummary {
  /** The score of each split. */
  readonly scores: readonly number[];
}

/** How many labelled samples the classifier assigns to their intended class. */
export interface ClassAccuracyReport {
  /** correct / labelled. */
  readonly accuracy: number;
  readonly correct: number;
  /** Images whose intended class is known (run records' labels or class{c}/ folders). */
  readonly labelled: number;
  /** All sample images, labelled or not. */
  readonly images: number;
  /** The classifier's number of classes. */
  readonly classes: number;
  /** One entry per class of the classifier, in class order; accuracy null where no image is labelled with it. */
  readonly perClass: readonly {
    readonly class: number;
    /** From the run records (the sampled model's class names), else null. */
    readonly name: string | null;
    readonly images: number;
    readonly correct: number;
    readonly accuracy: number | null;
  }[];
}

export interface EvalReport {
  readonly samples: { readonly path: string; readonly count: number } | null;
  readonly model: {
    readonly path: string;
    readonly sha256: string;
    readonly input: { readonly name: string; readonly type: string; readonly shape: readonly number[]; readonly range: readonly number[] };
    readonly features: { readonly name: string; readonly dim: number } | null;
    readonly logits: { readonly name: string; readonly classes: number } | null;
  };
  readonly reference: {
    readonly kind: ReferenceKind;
    readonly path: string;
    /** Images behind the statistics; null for an .npz file, which does not record it. */
    readonly count: number | null;
    readonly accuracy: number | null;
    /** The reference images' own score (per-split scores only when computed in this run). */
    readonly inceptionScore: ScoreSummary | ScoreReport | null;
  } | null;
  /** Fréchet distance between the samples' and the reference's feature statistics. */
  readonly frechetDistance: number | null;
  /** exp(E[KL(p(y|x) ‖ p(y))]) of the samples, mean ± std over splits. */
  readonly inceptionScore: ScoreReport | null;
  /** The samples' class accuracy, when some of them have a known intended class; null otherwise. */
  readonly classAccuracy: ClassAccuracyReport | null;
  readonly savedStats: string | null;
  readonly timings: { readonly totalMs: number; readonly images: number; readonly imagesPerSecond: number };
}
