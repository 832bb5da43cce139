/**
 * The one argument layer every command shares: `--flag value` and `--flag=value`,
 * kebab-case aliases (`--n-samples`), and `key.path=value` config overrides. The sampling
 * flags and the config keys they set come from RUN_OPTIONS, the table the server's request
 * fields go through too, so a flag and a field of the same name mean the same thing.
 */
import { RUN_OPTIONS, type RunOption, findRunOption } from '../core/config/run-options.ts';
import { type Override, parseOverride } from '../core/config/overrides.ts';
import { UserError } from '../core/errors.ts';
import { nearest } from '../core/suggest.ts';
import { DDIM } from './command-name.ts';

/** What one command accepts, besides -h/--help and -q/--quiet, which every command takes. */
export interface FlagSpec {
  /** The command's name, for messages (`see ddim eval --help`). */
  readonly command: string;
  /** The sampling flags of RUN_OPTIONS it takes: all of them (with --load_ema), or some by name. */
  readonly runOptions: 'all' | readonly string[];
  /** Whether it reads a config: -c/--config and key.path=value overrides. */
  readonly config: boolean;
  /** Its own flags that take a value; each may be repeated, the values are kept in order. */
  readonly values?: readonly string[];
  /** Its own flags that take no value (`--json`; `--json true|false` works too). */
  readonly switches?: readonly string[];
  /** Names users reach for that mean one of its flags (an edit distance would not find these). */
  readonly synonyms?: ReadonlyMap<string, string>;
  /** Whether it takes plain words (e.g. `ddim verify DIR`); they are kept in `positionals`. */
  readonly positionals?: boolean;
}

export interface ParsedArgs {
  readonly config: string | undefined;
  /** Dotted overrides first, then flags: flags win, as documented. */
  readonly overrides: readonly Override[];
  readonly quiet: boolean;
  readonly help: boolean;
  /** Notes about accepted-but-ignored flags, for the command to print as warnings. */
  readonly notes: readonly string[];
  /** The command's own flags (snake_case name -> every value given, in order). */
  readonly values: ReadonlyMap<string, readonly string[]>;
  /** Plain words, for a command that takes them. */
  readonly positionals: readonly string[];
  /** The words after the command, as given (recorded in run.json). */
  readonly argv: readonly string[];
}

/** What sample and serve users type for the reference's flags. */
export const SAMPLING_FLAG_SYNONYMS: ReadonlyMap<string, string> = new Map([
  ['eta', 'ddim_eta'],
  ['steps', 'skip_steps'],
  ['n', 'n_samples'],
  ['num_samples', 'n_samples'],
  ['batch_size', 'micro_batch'],
  ['out', 'save_dir'],
  ['output', 'save_dir'],
  ['output_dir', 'save_dir'],
  ['model', 'weights'],
]);

const LOAD_EMA_NOTE = '--load_ema: an ONNX file holds one set of weights; tools/export_onnx.py exports the EMA weights unless given --no-ema';

interface FlagWord {
  /** As written before any `=`, e.g. `--n-samples`. */
  readonly written: string;
  /** Without dashes, as written: `n-samples`. */
  readonly raw: string;
  /** snake_case: `n_samples`. */
  readonly name: string;
  /** The text after `=`, if the value was given inline. */
  readonly inline: string | undefined;
}

function flagWord(arg: string): FlagWord {
  const eq = arg.indexOf('=');
  const written = eq === -1 ? arg : arg.slice(0, eq);
  const raw = written.replace(/^--?/, '');
  return { written, raw, name: raw.replaceAll('-', '_'), inline: eq === -1 ? undefined : arg.slice(eq + 1) };
}

class ArgCursor {
  #index = 0;
  constructor(readonly argv: readonly string[]) {}

  next(): string | undefined {
    return this.argv[this.#index++];
  }

  /** A flag's value: the text after `=`, else the next word unless that is another --flag. */
  value(flag: FlagWord): string {
    if (flag.inline === '') throw new UserError(`--${flag.raw}: expected a value after "=", got nothing`);
    if (flag.inline !== undefined) return flag.inline;
    const next = this.argv[this.#index];
    if (next === undefined || (next.startsWith('--') && next.length > 2)) throw new UserError(`--${flag.raw}: expected a value`);
    this.#index++;
    return next;
  }

  /** The next word when it matches: switches that also take `true|false` as a separate word. */
  optional(pattern: RegExp): string | undefined {
    const next = this.argv[this.#index];
    if (next === undefined || !pattern.test(next)) return undefined;
    this.#index++;
    return next;
  }
}

/** Mutable while parsing; handed out as ParsedArgs. */
interface Collected {
  config: string | undefined;
  quiet: boolean;
  help: boolean;
  readonly notes: string[];
  readonly values: Map<string, string[]>;
  readonly positionals: string[];
  readonly dotted: Override[];
  readonly flags: Override[];
  readonly lists: Map<string, { path: string; values: string[]; origin: string }>;
}

const article = (word: string) => (/^[aeiou]/.test(word) ? 'an' : 'a');

function notThisCommand(what: string, spec: FlagSpec, hint?: string): UserError {
  const suggestion = hint ? ` (did you mean --${hint}?)` : '';
  return new UserError(`${what} is not ${article(spec.command)} ${spec.command} flag${suggestion}; see ${DDIM} ${spec.command} --help`);
}

function takesRunOption(spec: FlagSpec, option: RunOption): boolean {
  return spec.runOptions === 'all' || spec.runOptions.includes(option.name);
}

/** Every flag the command takes, for suggestions; the order decides ties. */
function knownFlags(spec: FlagSpec): string[] {
  const runOptions = RUN_OPTIONS.filter((option) => takesRunOption(spec, option)).map((option) => option.name);
  return [
    ...runOptions,
    ...(spec.values ?? []),
    ...(spec.switches ?? []),
    ...(spec.config ? ['config'] : []),
    'quiet',
    'help',
    ...(spec.runOptions === 'all' ? ['load_ema'] : []),
  ];
}

function unknownFlag(flag: FlagWord, spec: FlagSpec): UserError {
  const known = knownFlags(spec);
  const { name } = flag;
  const hint = spec.synonyms?.get(name) ?? known.find((k) => name.length > 1 && (k.startsWith(name) || name.startsWith(k))) ?? nearest(name, known);
  const help = spec.command === 'sample' ? '--help' : `${DDIM} ${spec.command} --help`;
  return new UserError(`unknown flag ${flag.written}${hint ? ` (did you mean --${hint}?)` : ''}; see ${help}`);
}

function addRunOption(option: RunOption, flag: FlagWord, cursor: ArgCursor, out: Collected): void {
  const origin = `--${flag.raw}`;
  if (option.kind === 'list') {
    const entry = out.lists.get(option.path) ?? { path: option.path, values: [], origin };
    entry.values.push(cursor.value(flag));
    out.lists.set(option.path, entry);
    return;
  }
  // Values are read as YAML, like the file: `50` is a number, `true` a boolean.
  const text = option.kind === 'flag' ? flag.inline : cursor.value(flag);
  out.flags.push({ path: option.path, value: text === undefined ? true : parseOverride(`x=${text}`).value, origin });
}

function addFlag(flag: FlagWord, cursor: ArgCursor, spec: FlagSpec, out: Collected): void {
  const { name } = flag;
  if (name === 'h' || name === 'help') out.help = true;
  else if (name === 'q' || name === 'quiet') out.quiet = true;
  else if (name === 'c' || name === 'config') {
    if (!spec.config) throw notThisCommand('--config', spec);
    out.config = cursor.value(flag);
  } else if (name === 'load_ema') {
    if (spec.runOptions !== 'all') throw notThisCommand('--load_ema', spec);
    // The reference takes `--load_ema true|false`; accept either form.
    if (flag.inline === undefined) cursor.optional(/^(true|false|0|1|yes|no)$/i);
    out.notes.push(LOAD_EMA_NOTE);
  } else if (spec.values?.includes(name)) {
    out.values.set(name, [...(out.values.get(name) ?? []), cursor.value(flag)]);
  } else if (spec.switches?.includes(name)) {
    const value = flag.inline ?? cursor.optional(/^(true|false)$/) ?? 'true';
    out.values.set(name, [...(out.values.get(name) ?? []), value]);
  } else {
    const option = findRunOption(name);
    if (!option) throw unknownFlag(flag, spec);
    if (!takesRunOption(spec, option)) throw notThisCommand(`--${flag.raw}`, spec, spec.synonyms?.get(name));
    addRunOption(option, flag, cursor, out);
  }
}

function addPositional(arg: string, spec: FlagSpec, out: Collected): void {
  if (spec.positionals && !(spec.config && arg.includes('='))) {
    out.positionals.push(arg);
    return;
  }
  if (!arg.includes('=')) {
    throw new UserError(`unexpected argument "${arg}": expected --flag VALUE${spec.config ? ' or key.path=value' : ''}`);
  }
  if (!spec.config) throw notThisCommand(arg, spec);
  out.dotted.push(parseOverride(arg));
}

/**
 * Parse the words after the command name against the command's flags.
 *
 * @example
 * parseArgs(['--n-samples=4', 'diffusion.params.eta=0.5'], { command: 'sample', runOptions: 'all', config: true });
 * // overrides: [{ path: 'diffusion.params.eta', value: 0.5, ... }, { path: 'sampler.n_samples', value: 4, ... }]
 */
export function parseArgs(argv: readonly string[], spec: FlagSpec): ParsedArgs {
  const out: Collected = { config: undefined, quiet: false, help: false, notes: [], values: new Map(), positionals: [], dotted: [], flags: [], lists: new Map() };
  const cursor = new ArgCursor(argv);
  for (let arg = cursor.next(); arg !== undefined; arg = cursor.next()) {
    if (arg.startsWith('-')) addFlag(flagWord(arg), cursor, spec, out);
    else addPositional(arg, spec, out);
  }
  // `--plugin` adds to the config's plugins; `--provider` replaces the config's list.
  const lists = [...out.lists.values()].map(({ path, values, origin }) => ({ path, value: values, origin, append: path === 'plugins' }));
  return {
    config: out.config,
    overrides: [...out.dotted, ...out.flags, ...lists],
    quiet: out.quiet,
    help: out.help,
    notes: out.notes,
    values: out.values,
    positionals: out.positionals,
    argv,
  };
}
