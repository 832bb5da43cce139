/**
 * The reference side of an evaluation: feature statistics read from a stats file, or
 * computed (and optionally saved) from a folder of images or an idx file.
 */
import { basename } from 'node:path';
import { UserError } from '../core/errors.ts';
import { bytesImageSource } from '../core/io/image-files.ts';
import type { FeatureModel } from '../core/model/feature-model.ts';
import type { Reference } from './classify-reference.ts';
import type { EvalOptions, EvalReport } from './eval-types.ts';
import { featurePass, type PassResult } from './feature-pass.ts';
import type { GaussianStats } from './feature-stats.ts';
import { readIdx } from './idx-file.ts';
import { idxImageSource } from './idx-image-source.ts';
import { type StatsFile, readStatsFile, writeStatsFile } from './stats-file.ts';

export interface ReferenceResult {
  readonly stats: GaussianStats | null;
  readonly report: EvalReport['reference'];
  readonly savedStats: string | null;
  /** Images run through the model for it. */
  readonly images: number;
}

export interface ReferenceContext {
  readonly model: FeatureModel;
  readonly sha256: string;
  readonly batchSize: number;
  readonly splits: number;
  /** Black border around idx images. */
  readonly pad: number;
  readonly options: EvalOptions;
  readonly warn: (message: string) => void;
  /** The reference folder's images, listed before the model was loaded. */
  readonly referenceFiles: readonly string[] | undefined;
  /** An .npz reference, read before the model was loaded. */
  readonly npzStats: GaussianStats | undefined;
}

const NO_REFERENCE: ReferenceResult = { stats: null, report: null, savedStats: null, images: 0 };

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

function readLabels(path: string, count: number, classes: number | undefined): Uint8Array {
  const labels = readIdx(path);
  if (labels.dims.length !== 1) throw new UserError(`${path}: expected labels [N], found an idx array of shape [${labels.dims.join(',')}]`);
  if (labels.dims[0] !== count) throw new UserError(`${path} has ${labels.dims[0]} labels for ${count} reference images`);
  if (classes === undefined) throw new UserError('--reference_labels needs a model with a logits output (--logits_output)');
  const bad = labels.data.findIndex((label) => label >= classes);
  if (bad !== -1) throw new UserError(`${path}: label ${labels.data[bad]} at ${bad} is not one of the model's ${classes} classes`);
  return labels.data;
}

function statsFileReference(path: string, context: ReferenceContext): ReferenceResult {
  const file = readStatsFile(path);
  if (context.model.info.features) checkStatsMatch(file, path, context.model, context.sha256);
  const report: EvalReport['reference'] = { kind: 'stats', path, count: file.stats.count, accuracy: file.accuracy ?? null, inceptionScore: file.inceptionScore ?? null };
  return { stats: file.stats, report, savedStats: null, images: 0 };
}

function npzReference(path: string, context: ReferenceContext): ReferenceResult {
  const stats = context.npzStats!;
  const { features } = context.model.info;
  if (features && stats.dim !== features.dim) {
    throw new UserError(`reference stats ${path} hold ${stats.dim}-d features; the model's "${features.name}" output has ${features.dim}`);
  }
  if (features) context.warn(`${path} does not record the network or preprocessing it was computed with: the distance means something only if they are the same as this run's`);
  return { stats, report: { kind: 'npz', path, count: null, accuracy: null, inceptionScore: null }, savedStats: null, images: 0 };
}

/** Records with the statistics what they were computed from, so a later run can check it matches. */
async function saveReferenceStats(path: string, reference: Reference, pass: PassResult, accuracy: number | null, context: ReferenceContext): Promise<void> {
  const { info } = context.model;
  await writeStatsFile(path, {
    stats: pass.stats!,
    model: {
      file: basename(info.path),
      sha256: context.sha256,
      output: info.features!.name,
      input: [info.channels, info.height, info.width],
      inputRange: [...info.inputRange],
    },
    source: { kind: reference.kind, path: basename(reference.path), ...(reference.kind === 'idx' ? { pad: context.pad } : {}) },
    ...(accuracy === null ? {} : { accuracy }),
    ...(pass.score ? { inceptionScore: { mean: pass.score.mean, std: pass.score.std, splits: context.splits } } : {}),
    ...(context.options.createdBy ? { createdBy: context.options.createdBy } : {}),
  });
}

async function imageReference(reference: Reference, context: ReferenceContext): Promise<ReferenceResult> {
  const { model, options } = context;
  const { info } = model;
  const source =
    reference.kind === 'images'
      ? bytesImageSource(context.referenceFiles!, info.height, info.channels)
      : idxImageSource(readIdx(reference.path), reference.path, info.height, info.channels, context.pad);
  const labels = options.referenceLabels === undefined ? undefined : readLabels(options.referenceLabels, source.count, info.logits?.classes);
  if (info.features && source.count < 2) throw new UserError(`reference ${reference.path} has ${source.count} image; statistics need at least 2`);
  const pass = await featurePass(model, source, {
    phase: 'reference', batchSize: context.batchSize, splits: context.splits, scoreRequired: false, wantStats: true, labels, onProgress: options.onProgress,
  });
  const accuracy = labels ? pass.correct / pass.count : null;
  const report = { kind: reference.kind, path: reference.path, count: pass.count, accuracy, inceptionScore: pass.score };
  if (options.saveStats !== undefined) await saveReferenceStats(options.saveStats, reference, pass, accuracy, context);
  return { stats: pass.stats, report, savedStats: options.saveStats ?? null, images: pass.count };
}

/** The reference's statistics and its part of the report; a reference that feeds nothing is not read. */
export async function evaluateReference(reference: Reference | undefined, context: ReferenceContext): Promise<ReferenceResult> {
  const { info } = context.model;
  const { options } = context;
  if (reference?.kind === 'stats') return statsFileReference(reference.path, context);
  if (reference?.kind === 'npz') return npzReference(reference.path, context);
  if (reference !== undefined && (info.features || options.saveStats !== undefined || options.referenceLabels !== undefined)) {
    return imageReference(reference, context);
  }
  return NO_REFERENCE;
}
