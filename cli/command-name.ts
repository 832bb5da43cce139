/**
 * The command a user typed to start the CLI, for help texts and the commands it suggests:
 * `ddim` through the package's bin (an installed `ddim`, `npx ddim`, `bunx ddim`), `bun run
 * ddim` from a clone of the repository (package.json's script runs cli.ts), and for any other
 * way in (`bun cli.ts`, `node lib/cli.js`, the container image's `bun cli.ts` entrypoint).
 */
import { basename } from 'node:path';

export function commandName(script = process.argv[1] ?? ''): string {
  const name = basename(script);
  return name === 'ddim' || name === 'ddim.js' ? 'ddim' : 'bun run ddim';
}

/** The name as the CLI's texts use it, fixed when the CLI starts. */
export const DDIM = commandName();
