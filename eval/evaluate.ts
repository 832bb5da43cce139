/**
 * `ddim eval`: the Fréchet distance of a sample folder's feature statistics to a
 * reference, and the Inception-Score-style score of its class predictions, both from
 * one ONNX feature/classifier model.
 */
import { existsSync } from 'node:fs';
import { UserError } from '../core/errors.ts';
import { sha256File } from '../core/io/sha256.ts';
import type { FeatureModel, FeatureModelInfo } from '../core/model/feature-model.ts';
import { loadOnnxFeatureModel } from '../core/model/onnx-feature-model.ts';
import { checkLabelRange } from './class-accuracy.ts';
import { type Reference, classifyReference } from './classify-reference.ts';
import type { EvalOptions, EvalReport } from './eval-types.ts';
import type { GaussianStats } from './feature-stats.ts';
import { imageFiles, warnAboutRunMode } from './image-folder.ts';
import { readNpzStats } from './npz-stats.ts';
import { evaluateReference } from './reference-stats.ts';
import { type SampleLabels, sampleLabels } from './sample-labels.ts';
import { type SampleMetrics, evaluateSamples } from './sample-metrics.ts';
import { readStatsFile } from './stats-file.ts';

/** What the options resolve to before the model is loaded. */
interface EvalPlan {
  readonly splits: number;
  readonly pad: number;
  readonly sampleFiles: readonly string[] | undefined;
  /** The samples' intended classes, when any is known. */
  readonly labels: SampleLabels | undefined;
  readonly reference: Reference | undefined;
  readonly referenceFiles: readonly string[] | undefined;
  readonly npzStats: GaussianStats | undefined;
}

function positiveInteger(value: number | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new UserError(`${flag}: expected a positive integer, got ${value}`);
  return value;
}

/** Everything that can be checked without the model is checked first: loading it takes a while. */
function planEvaluation(options: EvalOptions, warn: (message: string) => void): EvalPlan {
  const splits = positiveInteger(options.splits, '--splits', 10);
  const pad = options.referencePad ?? 2;
  if (!Number.isInteger(pad) || pad < 0) throw new UserError(`--reference_pad: expected a whole number of pixels, got ${pad}`);
  if (options.samples === undefined && options.saveStats === undefined) throw new UserError('give the samples folder to evaluate (--samples DIR)');
  const sampleFiles = options.samples === undefined ? undefined : imageFiles(options.samples, 'samples');
  if (options.samples !== undefined) warnAboutRunMode(options.samples, warn);
  const found = sampleFiles === undefined ? undefined : sampleLabels(sampleFiles);
  const labels = found && found.labelled > 0 ? found : undefined;
  const reference = options.reference === undefined ? undefined : classifyReference(options.reference);
  if (options.saveStats !== undefined && reference?.kind !== 'images' && reference?.kind !== 'idx') {
    throw new UserError('--save_stats needs --reference: a folder of images or an idx images file');
  }
  if (options.referenceLabels !== undefined && reference?.kind !== 'idx') throw new UserError('--reference_labels goes with an idx --reference');
  if (options.referenceLabels !== undefined && !existsSync(options.referenceLabels)) throw new UserError(`labels file not found: ${options.referenceLabels}`);
  const referenceFiles = reference?.kind === 'images' ? imageFiles(reference.path, 'reference') : undefined;
  const npzStats = reference?.kind === 'npz' ? readNpzStats(reference.path) : undefined;
  return { splits, pad, sampleFiles, labels, reference, referenceFiles, npzStats };
}

/** Images per model call: as many as fit 4 Mi input values (at most 250), never over the model's fixed batch. */
function batchSizeFor(info: FeatureModelInfo, requested: number | undefined): number {
  const adaptive = Math.max(1, Math.min(250, Math.floor(4 * 1024 * 1024 / (info.channels * info.height * info.width))));
  return Math.min(positiveInteger(requested, '--batch_size', adaptive), info.fixedBatch ?? Infinity);
}

/** The default reference counts only if it was computed with this very model: otherwise no distance. */
function defaultReference(options: EvalOptions, info: FeatureModelInfo, sha256: string): Reference | undefined {
  if (options.defaultReference === undefined || !info.features || !existsSync(options.defaultReference)) return undefined;
  const candidate = readStatsFile(options.defaultReference);
  if (candidate.model?.sha256 === sha256 && candidate.model.output === info.features.name) return { kind: 'stats', path: options.defaultReference };
  return undefined;
}

/** Labels the model can judge: refused when their classes are not its classes, passed over without logits. */
function usableLabels(labels: SampleLabels | undefined, info: FeatureModelInfo, warn: (message: string) => void): SampleLabels | undefined {
  if (labels === undefined) return undefined;
  if (!info.logits) {
    warn(`${labels.labelled} sample(s) have a known class, but feature model ${info.path} has no logits output: no class accuracy (name one with --logits_output)`);
    return undefined;
  }
  checkLabelRange(labels, info.logits.classes, info.path);
  return labels;
}

function modelReport(info: FeatureModelInfo, sha256: string): EvalReport['model'] {
  return {
    path: info.path,
    sha256,
    input: { name: info.inputName, type: info.inputType, shape: [info.channels, info.height, info.width], range: info.inputRange },
    features: info.features ?? null,
    logits: info.logits ?? null,
  };
}

async function evaluateWith(model: FeatureModel, plan: EvalPlan, options: EvalOptions, warn: (message: string) => void, started: number): Promise<EvalReport> {
  const { info } = model;
  if (info.height !== info.width) throw new UserError(`feature model ${info.path} takes ${info.height}×${info.width} images; eval supports square inputs only`);
  const sha256 = sha256File(info.path);
  const batchSize = batchSizeFor(info, options.batchSize);
  if (!info.features && options.saveStats !== undefined) throw new UserError(`feature model ${info.path} has no features output to save statistics of (--features_output)`);
  const reference = plan.reference ?? defaultReference(options, info, sha256);
  if (!info.features && reference !== undefined) warn(`feature model ${info.path} has no features output: the distance is skipped (name one with --features_output)`);
  else if (reference === undefined && plan.sampleFiles !== undefined && info.features) warn('no --reference given: the distance is skipped');

  const { splits, pad, referenceFiles, npzStats } = plan;
  const labels = usableLabels(plan.labels, info, warn);
  const referenced = await evaluateReference(reference, { model, sha256, batchSize, splits, pad, options, warn, referenceFiles, npzStats });
  let measured: SampleMetrics | undefined;
  if (plan.sampleFiles !== undefined) {
    measured = await evaluateSamples(options.samples!, plan.sampleFiles, {
      model, batchSize, splits, warn, onProgress: options.onProgress, referenceStats: referenced.stats, referencePath: referenced.report?.path,
      labels,
    });
  }
  const images = referenced.images + (measured?.samples.count ?? 0);
  const totalMs = performance.now() - started;
  return {
    samples: measured?.samples ?? null,
    model: modelReport(info, sha256),
    reference: referenced.report,
    frechetDistance: measured?.frechetDistance ?? null,
    inceptionScore: measured?.inceptionScore ?? null,
    classAccuracy: measured?.classAccuracy ?? null,
    savedStats: referenced.savedStats,
    timings: { totalMs, images, imagesPerSecond: images / (totalMs / 1000) },
  };
}

/**
 * Evaluate a folder of samples (and/or compute reference statistics).
 *
 * @example
 * const report = await evaluate({ features: 'models/fashion_mnist_classifier.onnx', samples: 'samples',
 *   reference: 'models/fashion_mnist_test_stats.json' });
 * console.log(report.frechetDistance, report.inceptionScore?.mean);
 */
export async function evaluate(options: EvalOptions): Promise<EvalReport> {
  const started = performance.now();
  const warn = options.onWarning ?? (() => {});
  const plan = planEvaluation(options, warn);
  const model = await loadOnnxFeatureModel(options.features, {
    featuresOutput: options.featuresOutput,
    logitsOutput: options.logitsOutput,
    imageSize: options.imageSize,
    inputRange: options.inputRange,
    providers: options.providers,
    intraOpThreads: options.intraOpThreads,
  });
  try {
    return await evaluateWith(model, plan, options, warn, started);
  } finally {
    await model.dispose();
  }
}
