/**
 * Which class each result item has: the --class C of every item, or --n_samples_each_class K
 * (class-major: item i has class ⌊i/K⌋, written to class{c}/{i − c·K}.png as the original's
 * sample_classifier_free.py does), or none. Checked against the model before any call.
 */
import type { DdimConfig } from './config/schema.ts';
import { UserError, oneLine } from './errors.ts';
import type { ModelInfo } from './model/model.ts';
import { nearest } from './suggest.ts';

/** What a run knows about classes: the class of each item, or −1 (none). */
export interface ClassPlan {
  /** num_classes of a conditional model; 0 for an (x, t) model. */
  readonly numClasses: number;
  readonly names: readonly string[];
  /** K with n_samples_each_class (items are class-major); undefined otherwise. */
  readonly perClass: number | undefined;
  /** The item count the classes set (num_classes·K), when they set one. */
  readonly count: number | undefined;
  classOf(item: number): number;
}

const NO_CLASSES: ClassPlan = { numClasses: 0, names: [], perClass: undefined, count: undefined, classOf: () => -1 };

function classNames(config: DdimConfig, numClasses: number): string[] {
  const names = config.data.class_names;
  if (names === undefined) return Array.from({ length: numClasses }, (_, c) => String(c));
  if (names.length !== numClasses) {
    throw new UserError(`data.class_names: ${names.length} names for data.num_classes=${numClasses}; give one name per class`, { path: 'data.class_names' });
  }
  return names;
}

/** "0..9 (airplane, automobile, …)": the valid classes, for messages. */
export function validClasses(numClasses: number, names: readonly string[]): string {
  const shown = names.slice(0, 12).map(oneLine).join(', ');
  return `0..${numClasses - 1} (${shown}${names.length > 12 ? ', …' : ''})`;
}

/** A --class value (an index or a name) as a label; `where` names the flag and key in a message. */
function parseClass(value: number | string, numClasses: number, names: readonly string[], where = '--class %s (sampler.class)'): number {
  const byName = typeof value === 'string' ? names.indexOf(value) : -1;
  if (byName !== -1) return byName;
  const index = typeof value === 'number' ? value : /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (Number.isInteger(index) && index >= 0 && index < numClasses) return index;
  const hint = typeof value === 'string' ? nearest(value, names) : undefined;
  const path = where.includes('classes') ? 'sampler.classes' : 'sampler.class';
  throw new UserError(
    `${where.replace('%s', oneLine(String(value)))}: expected a class ${validClasses(numClasses, names)}${hint ? ` (did you mean "${hint}"?)` : ''}`,
    { path },
  );
}

/** --classes: the class of each item in turn (the item count is their number). */
function perItemClasses(values: readonly (number | string)[], numClasses: number, names: readonly string[]): ClassPlan {
  const labels = values.map((value, item) => parseClass(value, numClasses, names, `--classes %s (sampler.classes, item ${item})`));
  return { numClasses, names, perClass: undefined, count: labels.length, classOf: (item) => labels[item] ?? -1 };
}

/**
 * The classes of a run of `config` on `model`. A conditional model needs a class unless
 * the guidance scale is 0; an (x, t) model takes none.
 */
export function planClasses(config: DdimConfig, model: ModelInfo): ClassPlan {
  const { sampler } = config;
  const perClass = sampler.n_samples_each_class ?? undefined;
  const given = (
    [
      ['class', sampler.class !== null],
      ['classes', sampler.classes !== null],
      ['n_samples_each_class', perClass !== undefined],
    ] as const
  ).filter(([, set]) => set).map(([name]) => name);
  if (!model.classInput) {
    const name = given[0];
    if (name) throw new UserError(`--${name} (sampler.${name}): model ${oneLine(model.path)} is not class-conditional (its inputs are x and t); leave it out`, { path: `sampler.${name}` });
    return NO_CLASSES;
  }
  const numClasses = config.data.num_classes;
  if (numClasses === undefined) {
    throw new UserError(`model ${oneLine(model.path)} is class-conditional (input "${oneLine(model.classInput.name)}"): give data.num_classes in the config`, { path: 'data.num_classes' });
  }
  const names = classNames(config, numClasses);
  if (given.length > 1) {
    throw new UserError(`--${given.join(' and --')}: give one of them (one class, each item's class, or every class in turn)`, { path: `sampler.${given[1]}` });
  }
  if (sampler.classes !== null) return perItemClasses(sampler.classes, numClasses, names);
  if (sampler.class !== null) {
    const label = parseClass(sampler.class, numClasses, names);
    return { numClasses, names, perClass: undefined, count: undefined, classOf: () => label };
  }
  if (perClass !== undefined) {
    return { numClasses, names, perClass, count: numClasses * perClass, classOf: (item) => Math.floor(item / perClass) };
  }
  if (sampler.guidance_scale !== 0) {
    throw new UserError(
      `model ${oneLine(model.path)} is class-conditional: give --class C or --n_samples_each_class K, with C in ${validClasses(numClasses, names)}; ` +
        '--guidance_scale 0 samples without a class',
      { path: 'sampler.class' },
    );
  }
  return { numClasses, names, perClass: undefined, count: undefined, classOf: () => -1 };
}

/**
 * Each item's class as run.json records it (`labels`): runs of consecutive items of one class,
 * `[class, count]` from item 0 on, so 1,000 items of --n_samples_each_class take 10 pairs.
 * `names` are the model's class names (data.class_names or its card; the indices otherwise).
 */
export interface RunLabels {
  readonly names: readonly string[];
  readonly runs: readonly (readonly [number, number])[];
}

/** The labels of items 0..count−1, or undefined when any item has no class (none chosen: --guidance_scale 0 without one). */
export function runLabels(classes: ClassPlan, count: number): RunLabels | undefined {
  if (classes.numClasses === 0 || count === 0) return undefined;
  const runs: [number, number][] = [];
  for (let item = 0; item < count; item++) {
    const label = classes.classOf(item);
    if (label < 0) return undefined;
    const last = runs[runs.length - 1];
    if (last && last[0] === label) last[1]++;
    else runs.push([label, 1]);
  }
  return { names: classes.names, runs };
}

/** Where item `index` is written: `{index}.png`, or `class{c}/{index − c·K}.png` class-major. */
export function itemFileName(index: number, perClass: number | undefined): string {
  if (perClass === undefined) return `${index}.png`;
  const c = Math.floor(index / perClass);
  return `class${c}/${index - c * perClass}.png`;
}
