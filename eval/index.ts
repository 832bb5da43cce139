/** Evaluation: Fréchet distance and Inception-Score-style score from an ONNX feature model. */
export { evaluate } from './evaluate.ts';
export { classifyReference } from './classify-reference.ts';
export type { ClassAccuracyReport, EvalOptions, EvalProgress, EvalReport, ReferenceKind, ScoreReport, ScoreSummary } from './eval-types.ts';
export { formatEvalReport } from './format-report.ts';
export { frechetDistance } from './frechet-distance.ts';
export { featureStats, featureStatsAccumulator, type FeatureStats, type FeatureStatsAccumulator, type GaussianStats } from './feature-stats.ts';
export { inceptionScore, inceptionScoreAccumulator, type InceptionScore, type InceptionScoreAccumulator } from './inception-score.ts';
export { sqrtPsd, traceSqrtPsd } from './matrix-sqrt.ts';
export { symmetricEigen, type SymmetricEigen } from './symmetric-eigen.ts';
export { readStatsFile, writeStatsFile, STATS_FORMAT, type StatsFile, type StatsProvenance } from './stats-file.ts';
export { readNpzStats } from './npz-stats.ts';
export { readIdx, type IdxArray } from './idx-file.ts';
export { idxImageSource } from './idx-image-source.ts';
export type { FeatureModel, FeatureModelInfo, FeatureModelOptions, FeatureBatch } from '../core/model/feature-model.ts';
export { loadOnnxFeatureModel } from '../core/model/onnx-feature-model.ts';
