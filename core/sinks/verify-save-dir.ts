/**
 * What `ddim verify` checks of a save_dir: every item 0..N−1 is there and reads as a whole
 * PNG of the run's picture size, every run record (run.json, run.shard-k-of-n.json) describes
 * the same run, and the items match SHA256SUMS (a `sha256sum -c` manifest), which is written
 * the first time the folder is found complete.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { itemFileName } from '../classes.ts';
import { UserError } from '../errors.ts';
import { writeFileAtomic } from '../io/atomic-file.ts';
import { sha256Hex } from '../io/sha256.ts';
import { checkPng } from './png-check.ts';
import { type RecordFile, type RunRecord, readRecords, recordsConflict } from './run-records.ts';

export const MANIFEST = 'SHA256SUMS';
const MANIFEST_LINE = /^([0-9a-f]{64}) [ *](.+)$/;

export interface VerifyReport {
  /** N: the items the records promise (the largest count among them). */
  readonly items: number;
  /** K of a class-major run (--n_samples_each_class): items are class{c}/{idx}.png. */
  readonly perClass?: number;
  /** Items present and whole. */
  readonly good: number;
  readonly missing: readonly number[];
  readonly bad: ReadonlyArray<{ readonly index: number; readonly why: string }>;
  readonly records: readonly RecordFile[];
  /** Why the records are not one run's (empty when they agree). */
  readonly disagreements: readonly string[];
  /** What became of SHA256SUMS; `problem` says why it does not match the items. */
  readonly manifest: { readonly state: 'written' | 'checked' | 'not written' | 'mismatch'; readonly problem?: string };
  /** Temp files of writes that were killed (`NAME.PID.N.tmp`): harmless, removable. */
  readonly strays: readonly string[];
}

/** The records that name their run, and why they cannot all be one run's. */
function compareRecords(records: readonly RecordFile[]): { base: RunRecord | undefined; disagreements: string[] } {
  const disagreements = records.filter((f) => f.record?.fingerprint === undefined).map((f) => `${f.name} is unreadable or names no run`);
  const readable = records.filter((f) => f.record?.fingerprint !== undefined);
  const first = readable[0];
  for (const other of readable.slice(1)) {
    const conflict = recordsConflict(first!.record!, other.record!, { a: `in ${first!.name}`, b: `in ${other.name}` });
    if (conflict) disagreements.push(`${other.name} and ${first!.name} disagree: ${conflict}`);
  }
  return { base: first?.record, disagreements };
}

/** The manifest's file -> digest, or why it does not parse. */
function readManifest(path: string): Map<string, string> | string {
  const entries = new Map<string, string>();
  const lines = readFileSync(path, 'utf8').split('\n').filter((line) => line !== '');
  for (const [i, line] of lines.entries()) {
    const match = MANIFEST_LINE.exec(line);
    if (!match) return `${MANIFEST} line ${i + 1} is not "SHA256  FILE"`;
    entries.set(match[2]!, match[1]!);
  }
  return entries;
}

/** Compare item digests with SHA256SUMS; a changed item is a bad one. */
function checkManifest(path: string, digests: ReadonlyMap<number, string>, items: number, bad: { index: number; why: string }[], name: (index: number) => string): string | undefined {
  const manifest = readManifest(path);
  if (typeof manifest === 'string') return manifest;
  for (const [index, digest] of digests) {
    const listed = manifest.get(name(index));
    if (listed !== undefined && listed !== digest) bad.push({ index, why: `differs from ${MANIFEST}` });
  }
  const expected = new Set(Array.from({ length: items }, (_, i) => name(i)));
  const others = [...manifest.keys()].filter((name) => !expected.has(name));
  const unlisted = [...expected].filter((name) => !manifest.has(name));
  if (others.length > 0 || unlisted.length > 0) {
    return `${MANIFEST} lists ${manifest.size} files, not the ${items} items ${others.length > 0 ? `(${others[0]} is none of them)` : `(${unlisted[0]} is missing)`}; remove it to have it written anew`;
  }
  return undefined;
}

/**
 * Check a save_dir; write SHA256SUMS when it is complete, consistent and has none.
 * Throws a UserError when dir is no save_dir at all.
 *
 * @example
 * const report = await verifySaveDir('runs/table/50');
 * if (report.missing.length === 0 && report.bad.length === 0) console.log('complete');
 */
export async function verifySaveDir(dir: string): Promise<VerifyReport> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UserError(`${dir} is not a folder`);
  const names = new Set(readdirSync(dir));
  const records = readRecords(dir, [...names]);
  if (records.length === 0) throw new UserError(`${dir} holds no run record (run.json or run.shard-k-of-n.json): not a --save_dir of ddim sample`);
  const { base, disagreements } = compareRecords(records);
  const items = Math.max(0, ...records.map((f) => (Number.isSafeInteger(f.record?.items) ? f.record!.items! : 0)));
  const missing: number[] = [];
  const bad: { index: number; why: string }[] = [];
  const digests = new Map<number, string>();
  const perClass = base?.config?.sampler?.n_samples_each_class ?? undefined;
  const name = (index: number) => itemFileName(index, perClass);
  for (let index = 0; index < items; index++) {
    const file = name(index);
    if (perClass === undefined ? !names.has(file) : !existsSync(join(dir, file))) {
      missing.push(index);
      continue;
    }
    const bytes = readFileSync(join(dir, file));
    const why = checkPng(bytes, base?.picture);
    if (why) bad.push({ index, why });
    else digests.set(index, sha256Hex(bytes));
  }
  const manifestPath = join(dir, MANIFEST);
  let manifest: VerifyReport['manifest'];
  if (names.has(MANIFEST)) {
    const problem = checkManifest(manifestPath, digests, items, bad, name);
    manifest = problem ? { state: 'mismatch', problem } : { state: 'checked' };
  } else if (missing.length === 0 && bad.length === 0 && disagreements.length === 0 && items > 0) {
    const lines = Array.from({ length: items }, (_, i) => `${digests.get(i)}  ${name(i)}\n`);
    await writeFileAtomic(manifestPath, lines.join(''));
    manifest = { state: 'written' };
  } else manifest = { state: 'not written' };
  bad.sort((a, b) => a.index - b.index);
  const strays = [...names].filter((name) => name.endsWith('.tmp')).sort();
  return { items, ...(perClass !== undefined ? { perClass } : {}), good: items - missing.length - bad.length, missing, bad, records, disagreements, manifest, strays };
}

/** Whether a report says the folder holds exactly one whole run. */
export function isComplete(report: VerifyReport): boolean {
  return report.missing.length === 0 && report.bad.length === 0 && report.disagreements.length === 0 && report.manifest.state !== 'mismatch' && report.items > 0;
}
