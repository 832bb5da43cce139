import type { FlagSpec, ParsedArgs } from './args.ts';

/** One `ddim` command: the flags it takes, its help text, and what it does. */
export interface Command {
  readonly flags: FlagSpec;
  /** The text `ddim <command> --help` prints. */
  usage(): string;
  /** Throws a UserError for anything the user can fix; the dispatcher prints it in one line. */
  run(args: ParsedArgs): Promise<void>;
}
