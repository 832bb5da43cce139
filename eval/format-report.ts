/** The human-readable lines of an eval report (the CLI prints them; --json prints the report itself). */
import type { ClassAccuracyReport, EvalReport, ScoreReport } from './eval-types.ts';

const score = (s: ScoreReport) => `${s.mean.toFixed(4)} ± ${s.std.toFixed(4)} (${s.splits} splits)`;

/** `0.9420 (1000 labelled images, 10 classes)`, or `(600 of 1000 images labelled, …)` when some are not. */
function accuracyLine(a: ClassAccuracyReport): string {
  const present = a.perClass.filter((c) => c.images > 0).length;
  const classes = `${present} class${present === 1 ? '' : 'es'}`;
  const count = a.labelled === a.images ? `${a.labelled} labelled image${a.labelled === 1 ? '' : 's'}` : `${a.labelled} of ${a.images} images labelled`;
  return `${a.accuracy.toFixed(4)} (${count}, ${classes})`;
}

/** `0 0.9500, 1 0.9900, …` over the classes that have labelled images. */
const perClassLine = (a: ClassAccuracyReport) =>
  a.perClass.filter((c) => c.accuracy !== null).map((c) => `${c.class}${c.name !== null ? ` ${c.name}` : ''} ${c.accuracy!.toFixed(4)}`).join(', ');

export function formatEvalReport(report: EvalReport): string {
  const { model, reference, samples } = report;
  const outputs = [
    model.features ? `"${model.features.name}" ${model.features.dim}-d` : undefined,
    model.logits ? `"${model.logits.name}" ${model.logits.classes} classes` : undefined,
  ].filter(Boolean);
  const input = `input [${model.input.shape.join(',')}] ${model.input.type} in [${model.input.range.join(',')}]`;
  const rows: [string, string][] = [];
  if (samples) rows.push(['samples', `${samples.count} images in ${samples.path}`]);
  rows.push(['feature model', `${model.path}: ${outputs.join(', ')}; ${input}`]);
  if (reference) {
    const extras = [
      reference.accuracy === null ? undefined : `accuracy ${reference.accuracy.toFixed(4)}`,
      reference.inceptionScore ? `score ${reference.inceptionScore.mean.toFixed(4)} ± ${reference.inceptionScore.std.toFixed(4)}` : undefined,
    ].filter(Boolean);
    const count = reference.count === null ? 'image count not recorded' : `${reference.count} images`;
    rows.push(['reference', `${reference.path}: ${count}${extras.length ? ` (${extras.join(', ')})` : ''}`]);
  }
  if (report.savedStats) rows.push(['saved stats', report.savedStats]);
  if (report.frechetDistance !== null) rows.push(['frechet distance', report.frechetDistance.toFixed(4)]);
  if (report.inceptionScore) rows.push(['inception score', score(report.inceptionScore)]);
  if (report.classAccuracy) {
    rows.push(['class accuracy', accuracyLine(report.classAccuracy)]);
    rows.push(['per class', perClassLine(report.classAccuracy)]);
  }
  return rows.map(([key, value]) => `${key.padEnd(18)}${value}`).join('\n');
}
