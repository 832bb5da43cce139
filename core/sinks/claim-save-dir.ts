/**
 * Whether a run may write into a save_dir: the results already there, and every run record
 * beside them (run.json, run.shard-k-of-n.json), must be this very run's.
 */
import { type Dirent, existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { firstLine, UserError } from '../errors.ts';
import { listImages } from '../io/images.ts';
import { sha256File } from '../io/sha256.ts';
import type { RunInfo } from '../run-types.ts';
import { RUN_JSON, type RecordFile, type RunRecord, readRecords, recordsConflict } from './run-records.ts';

const RESULT_FILE = /^(\d+)\.png$/;
/** A class folder of a class-major run: its results are class{c}/{idx}.png (classes.ts, itemFileName). */
const CLASS_FOLDER = /^class(\d+)$/;

/** One input image of a run that starts from images: its path under input_dir and its digest. */
export interface InputRecord {
  readonly file: string;
  readonly sha256: string;
}

function listFolder(path: string): Dirent[] {
  try {
    return readdirSync(path, { withFileTypes: true });
  } catch (error) {
    throw new UserError(`cannot read save_dir ${path}: ${firstLine(error)}`, { path: 'sampler.save_dir' });
  }
}

/**
 * The folder's listing: result indices, whether it holds results at all (.png, also in the
 * class folders of a class-major run, or .npy), its run records. Class-major results get their
 * indices under this run's K (`perClass`); results of a run with another layout are caught by
 * its record, which the folder's results make count.
 */
function scan(saveDir: string, perClass: number | undefined): { indices: number[]; hasResults: boolean; records: RecordFile[] } {
  const entries = listFolder(saveDir);
  const names = entries.map((entry) => entry.name);
  const indices = names.flatMap((name) => {
    const match = RESULT_FILE.exec(name);
    return match ? [Number(match[1])] : [];
  });
  let classResults = 0;
  for (const entry of entries) {
    const folder = entry.isDirectory() ? CLASS_FOLDER.exec(entry.name) : null;
    if (!folder) continue;
    for (const { name } of listFolder(join(saveDir, entry.name))) {
      const match = RESULT_FILE.exec(name);
      if (!match) continue;
      classResults++;
      if (perClass !== undefined) indices.push(Number(folder[1]) * perClass + Number(match[1]));
    }
  }
  const npy = names.includes('samples.npy') || names.includes('latents.npy');
  return { indices, hasResults: indices.length > 0 || classResults > 0 || npy, records: readRecords(saveDir, names) };
}

/**
 * The input images a run that starts from images uses (the first plan.count, as the pipeline
 * lists them), so that an edited or inserted image is caught. They are compared one by one,
 * not folded into the fingerprint, so that a rerun with another --n_samples continues.
 */
function inputRecords(info: RunInfo, saveDir: string): InputRecord[] | undefined {
  const inputDir = info.config.sampler.input_dir;
  if (!info.inputs.includes('images') || !inputDir || !existsSync(inputDir)) return undefined;
  return listImages(inputDir, saveDir)
    .slice(0, info.plan.count)
    .map((file) => ({ file: relative(inputDir, file), sha256: sha256File(file) }));
}

/** The first of `current` that differs from what an earlier run recorded at its place. */
function firstChangedInput(recorded: unknown, current: readonly InputRecord[]): number {
  if (!Array.isArray(recorded)) return -1; // written before inputs were recorded
  return current.findIndex((input, i) => i < recorded.length && (recorded[i]?.file !== input.file || recorded[i]?.sha256 !== input.sha256));
}

const refuse = (message: string) => new UserError(message, { path: 'sampler.save_dir' });

/**
 * Refuse a folder holding results no record vouches for, or a record of another run. A record
 * of another shard counts even before its first result (shards start together); this run's
 * own record only with results, so a folder whose run left nothing behind is free to take.
 */
function checkRecords(saveDir: string, records: readonly RecordFile[], ours: RunRecord, ownName: string, hasResults: boolean): void {
  const readable = records.filter((file) => file.record?.fingerprint !== undefined);
  if (hasResults && (readable.length === 0 || readable.length < records.length)) {
    const unreadable = records.find((file) => file.record?.fingerprint === undefined);
    const why = unreadable ? `an unreadable ${unreadable.name}` : `no ${RUN_JSON} (nor run.shard-k-of-n.json)`;
    throw refuse(`save_dir ${saveDir} holds results with ${why}, so not from a run this toolkit can continue; choose another --save_dir or empty it`);
  }
  for (const { name, record } of readable) {
    if (name === ownName && !hasResults) continue;
    const conflict = recordsConflict(ours, record!);
    if (conflict) {
      const what = hasResults ? 'holds results of another run' : 'is being filled by another run';
      throw refuse(`save_dir ${saveDir} ${what} (${conflict}; see its ${name}); choose another --save_dir or empty it`);
    }
  }
}

/**
 * Check that a run may write into saveDir as the record `ours` (named `ownName`) describes.
 * Returns the input records its record keeps.
 */
export function claimSaveDir(saveDir: string, runInfo: RunInfo, ours: RunRecord, ownName: string, onWarning?: (message: string) => void): InputRecord[] | undefined {
  const found = scan(saveDir, runInfo.perClass);
  const { hasResults } = found;
  checkRecords(saveDir, found.records, ours, ownName, hasResults);
  let inputs = inputRecords(runInfo, saveDir);
  if (hasResults && inputs) {
    for (const { record } of found.records) {
      const changed = firstChangedInput(record!.inputs, inputs);
      if (changed !== -1) {
        throw refuse(
          `save_dir ${saveDir} holds results made from other input images (${changed}.png came from another ${inputs[changed]!.file}); choose another --save_dir or empty it`,
        );
      }
    }
    // Keep the record of results beyond this run's inputs, so a later, larger rerun checks them too.
    const longest = found.records.map(({ record }) => record!.inputs).filter(Array.isArray).sort((a, b) => b.length - a.length)[0];
    if (longest && longest.length > inputs.length) inputs = [...inputs, ...(longest.slice(inputs.length) as InputRecord[])];
  }
  const beyond = found.indices.filter((index) => index >= runInfo.plan.count).length;
  if (beyond > 0) {
    onWarning?.(
      `save_dir ${saveDir} also holds ${beyond} image${beyond === 1 ? '' : 's'} beyond this run's ${runInfo.plan.count} (from an earlier, larger run with the same settings); they are left as they are`,
    );
  }
  return inputs;
}
