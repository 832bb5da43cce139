/**
 * The intended class of each sample image, where it is known:
 * - a file in a folder named `class{c}` (any folder; c the class index, as a class-major
 *   `ddim sample --n_samples_each_class K` writes them) has class c;
 * - a file `{i}.png` beside run records that carry `labels` (a conditional `ddim sample` run:
 *   run.json, or run.shard-k-of-n.json of each shard) has the class the records give item i.
 * Every other image is unlabelled.
 */
import { basename, dirname } from 'node:path';
import { UserError, oneLine } from '../core/errors.ts';
import { readRecords } from '../core/sinks/run-records.ts';

export interface SampleLabels {
  /** Per image, in the order given: its class index, or −1 where it is not known. */
  readonly labels: Int32Array;
  readonly labelled: number;
  /** Class names from the run records, when all that gave labels agree on them. */
  readonly names: readonly string[] | undefined;
  /** The run records that gave labels, with the number of classes of the model that made them. */
  readonly recorded: readonly { readonly file: string; readonly classes: number }[];
  /** The image with the largest class index, and that index (−1 when nothing is labelled). */
  readonly largest: { readonly file: string; readonly label: number };
}

const CLASS_FOLDER = /^class(\d+)$/;
const ITEM_FILE = /^(\d+)\.png$/;

/** A folder's recorded labels: the class names and where each run of items ends. */
interface RecordedLabels {
  readonly file: string;
  readonly names: readonly string[];
  readonly classes: readonly number[];
  /** ends[k]: one past the last item of run k. */
  readonly ends: readonly number[];
}

const isCount = (value: unknown, min: number): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= min;

/** A record's `labels` checked: { names: string[], runs: [class, count][] } with classes 0..names−1. */
function parseLabels(file: string, labels: unknown): RecordedLabels {
  const fail = (why: string) =>
    new UserError(`${oneLine(file)}: "labels" ${why}; a run record's labels are { "names": [one per class], "runs": [[class, count], …] } (rewrite it with ddim sample, or remove the field)`);
  if (labels === null || typeof labels !== 'object') throw fail('is not an object');
  const { names, runs } = labels as { names?: unknown; runs?: unknown };
  if (!Array.isArray(names) || names.length === 0 || !names.every((name) => typeof name === 'string')) throw fail('has no "names" list of strings');
  if (!Array.isArray(runs) || runs.length === 0) throw fail('has no "runs" list');
  const classes: number[] = [];
  const ends: number[] = [];
  let end = 0;
  for (const [k, run] of runs.entries()) {
    if (!Array.isArray(run) || run.length !== 2 || !isCount(run[0], 0) || !isCount(run[1], 1)) throw fail(`run ${k} is not a [class, count] pair of whole numbers, count ≥ 1`);
    if (run[0] >= names.length) throw fail(`run ${k} has class ${run[0]}, outside 0..${names.length - 1} of its ${names.length} names`);
    classes.push(run[0]);
    ends.push((end += run[1]));
  }
  return { file, names: names as string[], classes, ends };
}

/** The labels the run records of `dir` give (all alike, as shards of one run are), if any. */
function recordedLabels(dir: string): RecordedLabels | undefined {
  let found: RecordedLabels | undefined;
  let foundText = '';
  for (const { name, record } of readRecords(dir)) {
    const labels = record?.labels;
    if (labels === undefined) continue;
    const file = `${dir}/${name}`;
    const parsed = parseLabels(file, labels);
    const text = JSON.stringify(labels);
    if (found && text !== foundText) throw new UserError(`${oneLine(found.file)} and ${oneLine(file)} record different labels: they are not records of one run; keep one run per folder`);
    found ??= parsed;
    foundText = text;
  }
  return found;
}

/** The class the records give item `item`, or −1 beyond the items they cover. */
function classOfItem(recorded: RecordedLabels, item: number): number {
  let low = 0;
  let high = recorded.ends.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (recorded.ends[mid]! > item) high = mid;
    else low = mid + 1;
  }
  return low < recorded.ends.length ? recorded.classes[low]! : -1;
}

/**
 * The labels of `files` (images under a samples folder, as eval lists them).
 *
 * @example
 * const { labels, labelled } = sampleLabels(listImages('runs/s3'));  // run.json labels, or class{c}/ folders
 */
export function sampleLabels(files: readonly string[]): SampleLabels {
  const folders = new Map<string, RecordedLabels | undefined>();
  const recordsOf = (dir: string) => {
    if (!folders.has(dir)) folders.set(dir, recordedLabels(dir));
    return folders.get(dir);
  };
  const labels = new Int32Array(files.length).fill(-1);
  let labelled = 0;
  let largest = { file: '', label: -1 };
  for (const [i, file] of files.entries()) {
    const dir = dirname(file);
    const folder = CLASS_FOLDER.exec(basename(dir));
    const item = ITEM_FILE.exec(basename(file));
    let label = -1;
    if (folder) {
      label = Number(folder[1]);
      recordsOf(dirname(dir)); // its run's records name the classes
    } else if (item) {
      const recorded = recordsOf(dir);
      if (recorded) label = classOfItem(recorded, Number(item[1]));
    }
    if (label < 0) continue;
    labels[i] = label;
    labelled++;
    if (label > largest.label) largest = { file, label };
  }
  const recorded = [...folders.values()].filter((r): r is RecordedLabels => r !== undefined);
  const sameNames = recorded.every((r) => JSON.stringify(r.names) === JSON.stringify(recorded[0]!.names));
  return {
    labels,
    labelled,
    names: recorded.length > 0 && sameNames ? recorded[0]!.names : undefined,
    recorded: recorded.map((r) => ({ file: r.file, classes: r.names.length })),
    largest,
  };
}
