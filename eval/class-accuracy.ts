/**
 * Class accuracy of samples whose intended class is known: the share of labelled images the
 * classifier's top class (argmax of its logits) names as the class they were asked for.
 */
import { UserError, oneLine } from '../core/errors.ts';
import type { ClassAccuracyReport } from './eval-types.ts';
import type { SampleLabels } from './sample-labels.ts';

/**
 * Refuse labels the classifier cannot judge: a run of a model with another number of classes,
 * or a class index beyond the classifier's (checked before any image is classified).
 */
export function checkLabelRange(labels: SampleLabels, classes: number, classifier: string): void {
  const valid = `0..${classes - 1}`;
  for (const { file, classes: recorded } of labels.recorded) {
    if (recorded !== classes) {
      throw new UserError(
        `${oneLine(file)} labels items with ${recorded} classes, but the classifier ${oneLine(classifier)} has ${classes} (${valid}): ` +
          'class accuracy needs a classifier of the classes the samples were made for (--features)',
      );
    }
  }
  const { file, label } = labels.largest;
  if (label >= classes) {
    throw new UserError(
      `${oneLine(file)} is labelled class ${label} (its folder), but the classifier ${oneLine(classifier)} has ${classes} classes (${valid}): ` +
        'name class folders class0 … class' + (classes - 1) + ' after the classifier\'s class indices',
    );
  }
}

/** Accuracy overall and per class (every class of the classifier; null where none is labelled). */
export function classAccuracy(labels: SampleLabels, predictions: Int32Array, classes: number): ClassAccuracyReport {
  const images = new Float64Array(classes);
  const correct = new Float64Array(classes);
  for (let i = 0; i < labels.labels.length; i++) {
    const label = labels.labels[i]!;
    if (label < 0) continue;
    images[label]!++;
    if (predictions[i] === label) correct[label]!++;
  }
  const total = correct.reduce((a, b) => a + b, 0);
  return {
    accuracy: total / labels.labelled,
    correct: total,
    labelled: labels.labelled,
    images: labels.labels.length,
    classes,
    perClass: Array.from({ length: classes }, (_, c) => ({
      class: c,
      name: labels.names?.[c] ?? null,
      images: images[c]!,
      correct: correct[c]!,
      accuracy: images[c]! > 0 ? correct[c]! / images[c]! : null,
    })),
  };
}
