/**
 * `ddim eval`: the Fréchet distance of a sample folder's feature statistics to a
 * reference, and the Inception-Score-style score of its class predictions, both from
 * one ONNX feature/classifier model.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { UserError } from '../errors.ts';
import { bytesImageSource } from '../io/image-source.ts';
import { listImages } from '../io/images.ts';
import { loadOnnxFeatureModel } from '../model/onnx-model.ts';
import type { ImageSource } from '../plugin.ts';
import type { FeatureModel, FeatureModelOptions } from './feature-model.ts';
import { type FeatureStats, type FeatureStatsAccumulator, type GaussianStats, featureStatsAccumulator } from './feature-stats.ts';
import { frechetDistance } from './frechet-distance.ts';
import { type InceptionScoreAccumulator, inceptionScoreAccumulator } from './inception-score.ts';
import { isGzip, isIdx, readIdx } from './idx-file.ts';
import { idxImageSource } from './idx-image-source.ts';
import { readNpzStats } from './npz-stats.ts';
import { isZip } from '../io/npz.ts';
import { type StatsFile, looksLikeJson, readStatsFile, writeStatsFile } from './stats-file.ts';
import { sha256File } from '../io/sha256.ts';

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
  readonly savedStats: string | null;
  readonly timings: { readonly totalMs: number; readonly images: number; readonly imagesPerSecond: number };
}

interface Reference {
  readonly kind: ReferenceKind;
  readonly path: string;
}

function positiveInteger(value: number | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new UserError(`${flag}: expected a positive integer, got ${value}`);
  return value;
}

function imageFiles(dir: string, what: string): string[] {
  let stat;
  try {
    stat = statSync(dir);
  } catch {
    throw new UserError(`${what} folder not found: ${dir}`);
  }
  if (!stat.isDirectory()) throw new UserError(`${what} ${dir} is not a folder of images`);
  const files = listImages(dir);
  if (files.length === 0) throw new UserError(`no images (.png, .jpg, .jpeg, .webp) found in ${what} folder ${dir}`);
  return files;
}

function firstBytes(path: string, count: number): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const bytes = new Uint8Array(count);
    return bytes.subarray(0, readSync(fd, bytes, 0, count, 0));
  } finally {
    closeSync(fd);
  }
}

/** Interpolation rows and reconstruction pairs are pictures of several frames, not samples: say so. */
function warnAboutRunMode(samples: string, warn: (message: string) => void): void {
  const runJson = join(samples, 'run.json');
  if (!existsSync(runJson)) return;
  let mode: unknown;
  try {
    mode = JSON.parse(readFileSync(runJson, 'utf8')).mode;
  } catch {
    return;
  }
  if (typeof mode === 'string' && mode !== 'sample') {
    warn(`${samples} holds the results of a run in mode "${mode}" (see its run.json): its PNGs are not single samples, and eval center-crops each to the model's input`);
  }
}

/** What a --reference path holds: a folder of images, an idx file, or a stats file (.json or .npz). */
export function classifyReference(path: string): Reference {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    throw new UserError(`reference not found: ${path}`);
  }
  if (stat.isDirectory()) return { kind: 'images', path };
  const head = firstBytes(path, 64);
  if (isGzip(head) || isIdx(head)) return { kind: 'idx', path };
  if (looksLikeJson(head)) return { kind: 'stats', path };
  if (isZip(head)) return { kind: 'npz', path };
  throw new UserError(`reference ${path} is neither a folder of images, an idx images file (.gz) nor a stats file (.json, or .npz with mu and sigma)`);
}

/** The stats file must describe features of this model, or the distance means nothing. */
function checkStatsMatch(file: StatsFile, path: string, model: FeatureModel, sha256: string): void {
  const features = model.info.features!;
  if (file.stats.dim !== features.dim) {
    throw new UserError(`reference stats ${path} hold ${file.stats.dim}-d features; the model's "${features.name}" output has ${features.dim}`);
  }
  const made = file.model;
  if (!made) return;
  const remedy = 'compute reference statistics for this model with --reference IMAGES --save_stats FILE';
  if (made.sha256 !== sha256) throw new UserError(`reference stats ${path} were computed with another model (${made.file}); ${remedy}`);
  if (made.output !== features.name) throw new UserError(`reference stats ${path} hold the "${made.output}" output, not "${features.name}"; ${remedy}`);
  const input = [model.info.channels, model.info.height, model.info.width];
  if (made.input.join() !== input.join() || made.inputRange.join() !== model.info.inputRange.join()) {
    throw new UserError(
      `reference stats ${path} were computed from [${made.input.join(',')}] inputs in [${made.inputRange.join(',')}], ` +
        `this run gives [${input.join(',')}] in [${model.info.inputRange.join(',')}]; ${remedy}`,
    );
  }
}

interface PassResult {
  readonly count: number;
  readonly stats: FeatureStats | null;
  readonly score: ScoreReport | null;
  readonly correct: number;
}

interface PassOptions {
  readonly phase: EvalProgress['phase'];
  readonly batchSize: number;
  readonly splits: number;
  /** Whether fewer images than splits is an error (samples) or just means no score (reference). */
  readonly scoreRequired: boolean;
  readonly wantStats: boolean;
  readonly labels?: Uint8Array;
  readonly onProgress?: (progress: EvalProgress) => void;
}

/** Run every image of `source` through the model once, feeding the accumulators. */
async function featurePass(model: FeatureModel, source: ImageSource, options: PassOptions): Promise<PassResult> {
  const { info } = model;
  const plane = info.channels * info.height * info.width;
  const total = source.count;
  const stats: FeatureStatsAccumulator | undefined = options.wantStats && info.features ? featureStatsAccumulator(info.features.dim) : undefined;
  let score: InceptionScoreAccumulator | undefined;
  if (info.logits) {
    if (total >= options.splits) score = inceptionScoreAccumulator(total, info.logits.classes, options.splits);
    else if (options.scoreRequired) {
      throw new UserError(`the score over ${options.splits} splits needs at least ${options.splits} images, found ${total}; lower --splits`);
    }
  }
  const images = new Float32Array(options.batchSize * plane);
  const started = performance.now();
  let correct = 0;
  for (let start = 0; start < total; start += options.batchSize) {
    const batch = Math.min(options.batchSize, total - start);
    await source.read(start, batch, images);
    const out = await model.run(images, batch);
    if (out.features && stats) {
      for (let i = 0; i < out.features.length; i++) {
        if (!Number.isFinite(out.features[i]!)) {
          throw new UserError(`feature model ${info.path} gave non-finite features for ${source.names[start + Math.floor(i / info.features!.dim)]}`);
        }
      }
      stats.add(out.features, batch);
    }
    if (out.logits) {
      for (let i = 0; i < out.logits.length; i++) {
        if (!Number.isFinite(out.logits[i]!)) throw new UserError(`feature model ${info.path} gave non-finite logits for ${source.names[start + Math.floor(i / info.logits!.classes)]}`);
      }
      score?.add(out.logits, batch);
      if (options.labels) {
        const classes = info.logits!.classes;
        for (let r = 0; r < batch; r++) {
          let best = 0;
          for (let c = 1; c < classes; c++) if (out.logits[r * classes + c]! > out.logits[r * classes + best]!) best = c;
          if (best === options.labels[start + r]) correct++;
        }
      }
    }
    options.onProgress?.({ phase: options.phase, done: start + batch, total, elapsedMs: performance.now() - started });
  }
  const result = score?.finish();
  return {
    count: total,
    stats: stats && total >= 2 ? stats.finish() : null,
    score: result ? { ...result, splits: options.splits } : null,
    correct,
  };
}

function readLabels(path: string, count: number, classes: number | undefined): Uint8Array {
  const labels = readIdx(path);
  if (labels.dims.length !== 1) throw new UserError(`${path}: expected labels [N], found an idx array of shape [${labels.dims.join(',')}]`);
  if (labels.dims[0] !== count) throw new UserError(`${path} has ${labels.dims[0]} labels for ${count} reference images`);
  if (classes === undefined) throw new UserError('--reference_labels needs a model with a logits output (--logits_output)');
  const bad = labels.data.findIndex((label) => label >= classes);
  if (bad !== -1) throw new UserError(`${path}: label ${labels.data[bad]} at ${bad} is not one of the model's ${classes} classes`);
  return labels.data;
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
  const splits = positiveInteger(options.splits, '--splits', 10);
  const pad = options.referencePad ?? 2;
  if (!Number.isInteger(pad) || pad < 0) throw new UserError(`--reference_pad: expected a whole number of pixels, got ${pad}`);
  if (options.samples === undefined && options.saveStats === undefined) throw new UserError('give the samples folder to evaluate (--samples DIR)');

  // Everything that can be checked without the model is checked first.
  const sampleFiles = options.samples === undefined ? undefined : imageFiles(options.samples, 'samples');
  if (options.samples !== undefined) warnAboutRunMode(options.samples, warn);
  let reference = options.reference === undefined ? undefined : classifyReference(options.reference);
  if (options.saveStats !== undefined && reference?.kind !== 'images' && reference?.kind !== 'idx') {
    throw new UserError('--save_stats needs --reference: a folder of images or an idx images file');
  }
  if (options.referenceLabels !== undefined && reference?.kind !== 'idx') throw new UserError('--reference_labels goes with an idx --reference');
  if (options.referenceLabels !== undefined && !existsSync(options.referenceLabels)) throw new UserError(`labels file not found: ${options.referenceLabels}`);
  const referenceFiles = reference?.kind === 'images' ? imageFiles(reference.path, 'reference') : undefined;
  const npzStats = reference?.kind === 'npz' ? readNpzStats(reference.path) : undefined;

  const model = await loadOnnxFeatureModel(options.features, {
    featuresOutput: options.featuresOutput,
    logitsOutput: options.logitsOutput,
    imageSize: options.imageSize,
    inputRange: options.inputRange,
    providers: options.providers,
    intraOpThreads: options.intraOpThreads,
  });
  try {
    const { info } = model;
    if (info.height !== info.width) throw new UserError(`feature model ${info.path} takes ${info.height}×${info.width} images; eval supports square inputs only`);
    const sha256 = sha256File(info.path);
    const plane = info.channels * info.height * info.width;
    const adaptive = Math.max(1, Math.min(250, Math.floor(4 * 1024 * 1024 / plane)));
    const batchSize = Math.min(positiveInteger(options.batchSize, '--batch_size', adaptive), info.fixedBatch ?? Infinity);

    if (!info.features && options.saveStats !== undefined) throw new UserError(`feature model ${info.path} has no features output to save statistics of (--features_output)`);
    if (reference === undefined && options.defaultReference !== undefined && info.features && existsSync(options.defaultReference)) {
      const candidate = readStatsFile(options.defaultReference);
      if (candidate.model?.sha256 === sha256 && candidate.model.output === info.features.name) reference = { kind: 'stats', path: options.defaultReference };
    }
    if (!info.features && reference !== undefined) warn(`feature model ${info.path} has no features output: the distance is skipped (name one with --features_output)`);
    else if (reference === undefined && sampleFiles !== undefined && info.features) warn('no --reference given: the distance is skipped');

    let referenceStats: GaussianStats | null = null;
    let referenceReport: EvalReport['reference'] = null;
    let savedStats: string | null = null;
    let images = 0;
    if (reference?.kind === 'stats') {
      const file = readStatsFile(reference.path);
      if (info.features) checkStatsMatch(file, reference.path, model, sha256);
      referenceStats = file.stats;
      referenceReport = {
        kind: 'stats',
        path: reference.path,
        count: file.stats.count,
        accuracy: file.accuracy ?? null,
        inceptionScore: file.inceptionScore ?? null,
      };
    } else if (reference?.kind === 'npz') {
      const stats = npzStats!;
      if (info.features && stats.dim !== info.features.dim) {
        throw new UserError(`reference stats ${reference.path} hold ${stats.dim}-d features; the model's "${info.features.name}" output has ${info.features.dim}`);
      }
      if (info.features) warn(`${reference.path} does not record the network or preprocessing it was computed with: the distance means something only if they are the same as this run's`);
      referenceStats = stats;
      referenceReport = { kind: 'npz', path: reference.path, count: null, accuracy: null, inceptionScore: null };
    } else if (reference !== undefined && (info.features || options.saveStats !== undefined || options.referenceLabels !== undefined)) {
      const source =
        reference.kind === 'images'
          ? bytesImageSource(referenceFiles!, info.height, info.channels)
          : idxImageSource(readIdx(reference.path), reference.path, info.height, info.channels, pad);
      const labels = options.referenceLabels === undefined ? undefined : readLabels(options.referenceLabels, source.count, info.logits?.classes);
      if (info.features && source.count < 2) throw new UserError(`reference ${reference.path} has ${source.count} image; statistics need at least 2`);
      const pass = await featurePass(model, source, {
        phase: 'reference', batchSize, splits, scoreRequired: false, wantStats: true, labels, onProgress: options.onProgress,
      });
      images += pass.count;
      referenceStats = pass.stats;
      const accuracy = labels ? pass.correct / pass.count : null;
      referenceReport = { kind: reference.kind, path: reference.path, count: pass.count, accuracy, inceptionScore: pass.score };
      if (options.saveStats !== undefined) {
        await writeStatsFile(options.saveStats, {
          stats: pass.stats!,
          model: {
            file: basename(info.path),
            sha256,
            output: info.features!.name,
            input: [info.channels, info.height, info.width],
            inputRange: [...info.inputRange],
          },
          source: { kind: reference.kind, path: basename(reference.path), ...(reference.kind === 'idx' ? { pad } : {}) },
          ...(accuracy === null ? {} : { accuracy }),
          ...(pass.score ? { inceptionScore: { mean: pass.score.mean, std: pass.score.std, splits } } : {}),
          ...(options.createdBy ? { createdBy: options.createdBy } : {}),
        });
        savedStats = options.saveStats;
      }
    }

    let samplesReport: EvalReport['samples'] = null;
    let distance: number | null = null;
    let score: ScoreReport | null = null;
    if (sampleFiles !== undefined) {
      if (info.features && referenceStats && sampleFiles.length < 2) throw new UserError(`samples folder ${options.samples} has 1 image; the distance needs at least 2`);
      const pass = await featurePass(model, bytesImageSource(sampleFiles, info.height, info.channels), {
        phase: 'samples', batchSize, splits, scoreRequired: true, wantStats: referenceStats !== null, onProgress: options.onProgress,
      });
      images += pass.count;
      samplesReport = { path: options.samples!, count: pass.count };
      if (pass.stats && referenceStats) {
        try {
          distance = frechetDistance(pass.stats, referenceStats);
        } catch (error) {
          // Covariances this toolkit computes are PSD; one read from a file need not be.
          if (!(error instanceof RangeError)) throw error;
          throw new UserError(`reference ${referenceReport?.path ?? 'statistics'}: its covariance is not positive semi-definite, as one of features must be; recompute it`);
        }
      }
      if (distance !== null && pass.count < info.features!.dim) {
        warn(
          `${pass.count} samples for ${info.features!.dim}-d features: the distance is biased upward at small N; ` +
            `use at least ${info.features!.dim} images, and compare distances only at equal N`,
        );
      }
      score = pass.score;
    }

    const totalMs = performance.now() - started;
    return {
      samples: samplesReport,
      model: {
        path: info.path,
        sha256,
        input: { name: info.inputName, type: info.inputType, shape: [info.channels, info.height, info.width], range: info.inputRange },
        features: info.features ?? null,
        logits: info.logits ?? null,
      },
      reference: referenceReport,
      frechetDistance: distance,
      inceptionScore: score,
      savedStats,
      timings: { totalMs, images, imagesPerSecond: images / (totalMs / 1000) },
    };
  } finally {
    await model.dispose();
  }
}
