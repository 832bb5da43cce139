/** The one place the CLI's non-fatal notes go: stderr, one `warning: …` line each, never stdout (which may be JSON). */
export function warn(message: string): void {
  process.stderr.write(`warning: ${message}\n`);
}
