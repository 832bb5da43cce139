/**
 * `ddim verify DIR`: whether a save_dir holds one whole run (all its shards' items, each a
 * whole PNG, every record agreeing), with SHA256SUMS written the first time it does. Prints
 * one summary line, then what is missing or bad and the commands that would redo it.
 * Exit 0: complete and consistent; 1: not; 2: DIR is no save_dir.
 */
import { join } from 'node:path';
import { UserError } from '../core/errors.ts';
import { itemFileName } from '../core/classes.ts';
import type { RecordFile, RunRecord } from '../core/sinks/run-records.ts';
import { type ItemRange, shardRange, shardsHolding } from '../core/sinks/shard.ts';
import { MANIFEST, type VerifyReport, isComplete, verifySaveDir } from '../core/sinks/verify-save-dir.ts';
import type { ParsedArgs } from './args.ts';
import type { Command } from './command.ts';
import { DDIM } from './command-name.ts';

/** `0..3, 7, 9..12` */
export function indexRanges(indices: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < indices.length; ) {
    let j = i;
    while (j + 1 < indices.length && indices[j + 1] === indices[j]! + 1) j++;
    parts.push(i === j ? `${indices[i]}` : `${indices[i]}..${indices[j]}`);
    i = j + 1;
  }
  return parts.join(', ');
}

const SAFE_WORD = /^[\w@%+=:,./-]+$/;
const quote = (word: string) => (SAFE_WORD.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`);

/** The recorded command without its shard flags, to append another --shard to. */
function unsharded(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '--shard' || word === '--shards') i++;
    else if (!/^(--shards?=|sampler\.shards?=)/.test(word)) out.push(word);
  }
  return out;
}

function commandLine(record: RunRecord | undefined, shard: string | undefined): string | undefined {
  if (!Array.isArray(record?.argv)) return undefined;
  const words = [...unsharded(record.argv), ...(shard ? ['--shard', shard] : [])];
  const cd = record.cwd && record.cwd !== process.cwd() ? `cd ${quote(record.cwd)} && ` : '';
  return `${cd}${DDIM} ${words.map(quote).join(' ')}`;
}

/** What redoes `indices`: for each shard holding some, its --shard k/n command; else the unsharded run's. */
function redoCommands(report: VerifyReport, indices: readonly number[]): Array<{ range?: ItemRange; command: string }> {
  const shards = report.records.filter((f): f is RecordFile & { record: RunRecord } => f.record?.shard !== undefined);
  const split = shards[0]?.record;
  const oneSplit = split && shards.every(({ record }) => record.shard!.count === split.shard!.count && record.items === report.items);
  if (split && oneSplit) {
    const n = split.shard!.count;
    return shardsHolding(indices, n, report.items).map((k) => {
      const own = shards.find(({ record }) => record.shard!.index === k)?.record ?? split;
      const range = shardRange({ index: k, count: n }, report.items);
      return { range, command: commandLine(own, `${k}/${n}`) ?? `the run that wrote this folder, with --shard ${k}/${n}` };
    });
  }
  const whole = report.records.find((f) => f.record?.items === report.items)?.record;
  return [{ command: commandLine(whole, undefined) ?? 'the run that wrote this folder, once more' }];
}

/** `redo: rm -f DIR/7.png && bun run ddim sample … --shard 1/4`: bad files go first, or the run would skip them. */
function redoLines(dir: string, report: VerifyReport): string[] {
  const redo = [...report.missing, ...report.bad.map((b) => b.index)].sort((a, b) => a - b);
  if (redo.length === 0 || report.disagreements.length > 0) return [];
  return redoCommands(report, redo).map(({ range, command }) => {
    const bad = report.bad.filter(({ index }) => !range || (index >= range.start && index < range.end));
    const remove = bad.length > 0 ? `rm -f ${bad.map((b) => quote(join(dir, itemFileName(b.index, report.perClass)))).join(' ')} && ` : '';
    return `redo: ${remove}${command}`;
  });
}

/** `2 shard records agree`, `1 run record (run.json)`, `run records disagree`. */
function recordsPhrase(report: VerifyReport): string {
  const { records } = report;
  if (report.disagreements.length > 0) return 'run records disagree';
  if (records.length === 1) return `1 run record (${records[0]!.name})`;
  const shards = records.filter((f) => f.name !== 'run.json').length;
  const parts = [shards > 0 ? `${shards} shard record${shards === 1 ? '' : 's'}` : '', records.length > shards ? 'run.json' : ''];
  return `${parts.filter(Boolean).join(' and ')} agree`;
}

/** The summary line and the lines after it. */
export function renderReport(dir: string, report: VerifyReport): string[] {
  const { manifest } = report;
  const manifestPhrase = manifest.state === 'not written' ? `${MANIFEST} not written (incomplete)` : manifest.state === 'mismatch' ? `${MANIFEST} does not match` : `${MANIFEST} ${manifest.state}`;
  const lines = [`verify: ${report.good} of ${report.items} items, ${recordsPhrase(report)}, ${manifestPhrase}`];
  if (report.missing.length > 0) lines.push(`missing: ${indexRanges(report.missing)}`);
  for (const { index, why } of report.bad) lines.push(`bad: ${index}.png (${why})`);
  for (const reason of report.disagreements) lines.push(`records: ${reason}`);
  if (manifest.problem) lines.push(`${MANIFEST}: ${manifest.problem}`);
  lines.push(...redoLines(dir, report));
  if (report.strays.length > 0) lines.push(`note: ${report.strays.length} temp file(s) of killed writes (*.tmp) can be removed`);
  return lines;
}

async function runVerify(args: ParsedArgs): Promise<void> {
  if (args.positionals.length !== 1) throw new UserError(`expected one folder: ${DDIM} verify DIR, got ${args.positionals.length}; see ${DDIM} verify --help`);
  const dir = args.positionals[0]!;
  const report = await verifySaveDir(dir);
  const lines = renderReport(dir, report);
  if (args.quiet) lines.splice(1);
  process.stdout.write(`${lines.join('\n')}\n`);
  // Exit 1, with the dispatcher's one `error:` line on stderr (a usage error exits 2).
  if (!isComplete(report)) throw new UserError(`${dir} does not hold one complete, consistent run`, { exitCode: 1 });
}

export const verifyCommand: Command = {
  flags: { command: 'verify', runOptions: [], config: false, positionals: true },
  usage: () =>
    [
      `Usage: ${DDIM} verify DIR [--quiet]`,
      '',
      'Check that DIR (a --save_dir of ddim sample, shards included) holds one whole run: every',
      'item 0..N-1 a whole PNG of the run\'s picture size, every run record (run.json,',
      'run.shard-k-of-n.json) agreeing on its settings and on the model\'s batch probe. Writes',
      `${MANIFEST} (for sha256sum -c) the first time DIR is complete, and checks it afterwards.`,
      'Lists missing or bad items and the ddim sample --shard k/n commands that would redo them.',
      '',
      '  --quiet        the summary line only',
      '',
      'Exit status: 0 complete and consistent, 1 not, 2 DIR is not a save_dir.',
    ].join('\n'),
  run: runVerify,
};
