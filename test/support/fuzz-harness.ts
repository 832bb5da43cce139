/**
 * The fuzz pass's machinery: a seeded PRNG, a runner that drives the real CLI with a
 * per-case deadline, the verdict every case must pass (a result, or exactly one
 * `error: ` line and exit 2; never a stack trace, a hang or a signal), and the report
 * line per input class that the closing notes quote.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isUserError } from '../../core/errors.ts';
import { parseNpy } from '../../core/io/npy.ts';
import { cliCommand } from './cli.ts';
import { ROOT } from './paths.ts';
import { prng } from './prng.ts';

/** FUZZ_SEED replays another draw; the default is fixed, so a failure reproduces. */
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20240611);
/** Longer than any clean case takes on two shared cores (the slowest, an inpaint run, ~2 s). */
export const CASE_TIMEOUT_MS = 30_000;
/** Processes at once: CI has two cores. */
const CONCURRENCY = 2;


/** Seeded draws, consumed in a fixed order. */
export interface Draws {
  readonly random: () => number;
  int(n: number): number;
  pick<T>(items: readonly T[]): T;
  bytes(n: number): Uint8Array;
  text(n: number): string;
}

export function makeDraws(seed: number): Draws {
  const random = prng(seed);
  const int = (n: number) => Math.floor(random() * n);
  return {
    random,
    int,
    pick: (items) => items[int(items.length)]!,
    bytes: (n) => Uint8Array.from({ length: n }, () => int(256)),
    text: (n) => String.fromCharCode(...Array.from({ length: n }, () => 32 + int(95))),
  };
}

/**
 * What a case's input allows: `result`, a valid input that must run (a refusal fails the
 * case); `refusal`, a definite defect (exit 0 fails it); `either`, an input the toolkit may
 * run or refuse, as long as it does one cleanly.
 */
export type Expected = 'result' | 'refusal' | 'either';

/** A drawn input's expectation: broken ones are refused, valid ones run, the rest may go either way. */
export function expectsOf(draw: { readonly broken: boolean; readonly valid: boolean }): Expected {
  return draw.broken ? 'refusal' : draw.valid ? 'result' : 'either';
}

/** One command line of the fuzz pass. */
export interface CliCase {
  readonly label: string;
  readonly args: readonly string[];
  readonly expects: Expected;
  /** For exit 0: what is wrong with the result, or undefined when it is right. */
  readonly check?: () => string | undefined;
  /** For a refusal: what its error line must say (the flag, the number that fits). */
  readonly errorSays?: readonly string[];
}

export interface Outcome {
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly stderr: string;
  readonly timedOut: boolean;
  readonly ms: number;
}

/** Run the real CLI (`bun cli.ts`, supervised as users run it) with a deadline. */
export async function runCase(args: readonly string[], timeoutMs = CASE_TIMEOUT_MS): Promise<Outcome> {
  const started = performance.now();
  // The environment a user's shell gives: without what this process's own onnxruntime set.
  const { ORT_DISABLE_TELEMETRY: _set, ...env } = process.env;
  const child = Bun.spawn([...cliCommand('bun'), ...args], {
    cwd: ROOT,
    env: { ...env, NO_COLOR: '1' },
    stdout: 'ignore',
    stderr: 'pipe',
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  const [stderr] = await Promise.all([new Response(child.stderr).text(), child.exited]);
  clearTimeout(timer);
  return { exitCode: child.exitCode, signal: child.signalCode == null ? null : String(child.signalCode), stderr, timedOut, ms: performance.now() - started };
}

/** Why an outcome breaks the contract, or undefined when it keeps it. */
export function verdict(outcome: Outcome, expects: Expected, check?: () => string | undefined): string | undefined {
  if (outcome.timedOut) return `hang: no exit within ${CASE_TIMEOUT_MS} ms`;
  if (outcome.signal) return `crash: killed by ${outcome.signal}`;
  if (/^\s+at /m.test(outcome.stderr)) return `stack trace: ${firstLines(outcome.stderr)}`;
  const lines = outcome.stderr.split('\n').filter((line) => line !== '');
  const errors = lines.filter((line) => line.startsWith('error: '));
  const other = lines.filter((line) => !line.startsWith('error: ') && !line.startsWith('warning: '));
  if (other.length > 0) return `stray stderr: ${firstLines(other.join('\n'))}`;
  if (outcome.exitCode === 0) {
    if (errors.length > 0) return `exit 0 with ${errors[0]}`;
    if (expects === 'refusal') return 'exit 0 for an input that is certainly wrong';
    return check?.();
  }
  if (outcome.exitCode !== 2) return `exit ${outcome.exitCode}: ${firstLines(outcome.stderr)}`;
  if (errors.length !== 1) return `exit 2 with ${errors.length} error lines: ${firstLines(outcome.stderr)}`;
  if (lines.at(-1) !== errors[0]) return `the error line is not last: ${firstLines(outcome.stderr)}`;
  if (expects === 'result') return `refused an input that must run: ${errors[0]}`;
  return undefined;
}

/** A command-line word as a failure report shows it: quoted when odd, cut short when long. */
export function shortWord(word: string): string {
  const quoted = /^[\w./=:,+-]*$/.test(word) ? word : JSON.stringify(word);
  return quoted.length > 80 ? `${quoted.slice(0, 80)}…(${word.length})` : quoted;
}

function firstLines(text: string): string {
  return text.split('\n').slice(0, 4).join(' | ').slice(0, 400);
}

/** The tally of one input class; `line()` is what the closing notes quote. */
export class FuzzTally {
  tried = 0;
  readonly failures: string[] = [];
  /** Cases recorded with an expectation, by it: the line shows how many had to run. */
  readonly expected: Record<Expected, number> = { result: 0, refusal: 0, either: 0 };
  constructor(readonly name: string) {}

  record(label: string, problem: string | undefined, expects?: Expected): void {
    this.tried++;
    if (expects) this.expected[expects]++;
    if (problem !== undefined) this.failures.push(`${label}: ${problem}`);
  }

  line(): string {
    const clean = this.tried - this.failures.length;
    const { result, refusal, either } = this.expected;
    const kinds = result + refusal + either > 0 ? ` (${result} must run, ${refusal} must be refused, ${either} either)` : '';
    return `fuzz: ${this.name} ${this.tried} tried${kinds}, ${clean} clean errors or results, ${this.failures.length} failures`;
  }

  /** Prints the report line (and each failure under it), and returns the failures. */
  report(): string[] {
    console.log(`${this.line()} (seed ${FUZZ_SEED})`);
    for (const failure of this.failures) console.log(`  ${failure}`);
    return this.failures;
  }
}

/** Run CLI cases, CONCURRENCY at a time, into a tally. */
export async function runCliCases(tally: FuzzTally, cases: readonly CliCase[]): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const item = cases[next++]!;
      const outcome = await runCase(item.args);
      const missing = outcome.exitCode === 2 ? item.errorSays?.find((text) => !outcome.stderr.includes(text)) : undefined;
      const problem = verdict(outcome, item.expects, item.check) ?? (missing === undefined ? undefined : `the error line lacks "${missing}": ${outcome.stderr.trim()}`);
      tally.record(`${item.label} [${item.args.map(shortWord).join(' ')}]`, problem, item.expects);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

/**
 * A library call's verdict: it returns, or throws a UserError of one line, as `expects`
 * allows; anything else (a RangeError, a TypeError, a message over several lines) is a failure.
 */
export async function libraryVerdict(call: () => unknown, expects: Expected): Promise<string | undefined> {
  try {
    await call();
  } catch (error) {
    if (!isUserError(error)) return `threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`.slice(0, 400);
    if (error.message.includes('\n')) return `a UserError of several lines: ${firstLines(error.message)}`;
    return expects === 'result' ? `refused an input that must run: ${error.message}`.slice(0, 400) : undefined;
  }
  return expects === 'refusal' ? 'accepted an input that is certainly wrong' : undefined;
}

/**
 * What a finished `--save_npy` run must hold: one PNG per row of samples.npy, `expected`
 * of them when known, every value finite and in [−1, 1].
 */
export function checkSamples(dir: string, expected?: number): string | undefined {
  const file = join(dir, 'samples.npy');
  if (!existsSync(file)) return 'exit 0 without samples.npy';
  const samples = parseNpy(readFileSync(file), file);
  const rows = samples.shape[0]!;
  const pngCount = readdirSync(dir).filter((f) => f.endsWith('.png')).length;
  if (pngCount !== rows) return `${pngCount} PNGs for ${rows} rows of samples.npy`;
  if (expected !== undefined && rows !== expected) return `${rows} results, expected ${expected}`;
  const bad = samples.data.findIndex((v) => !(v >= -1 && v <= 1));
  if (bad !== -1) return `samples.npy holds ${samples.data[bad]} at ${bad}: results must be finite values in [-1, 1]`;
  return undefined;
}
