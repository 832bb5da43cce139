import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'bun:test';
import { ROOT } from './paths.ts';

export interface CliResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export type CliRuntime = 'bun' | 'node' | 'deno';

/**
 * The Deno binary itself: node_modules/.bin/deno is a Node wrapper that runs it in a child
 * process, and a signal sent to the wrapper never reaches the CLI.
 */
export const DENO = join(ROOT, 'node_modules/deno/deno');

// Bun does not run the deno package's postinstall, which puts the binary there; its Node
// wrapper does the same on first use (from the platform package, no download).
if (!existsSync(DENO)) Bun.spawnSync(['node', join(ROOT, 'node_modules/deno/bin.cjs'), '--version'], { stdout: 'ignore' });

/** What `ddim sample` needs under Deno: files, the environment (sharp, yaml), native addons (sharp, onnxruntime). */
export const DENO_SAMPLE_PERMISSIONS = ['--allow-read', '--allow-write', '--allow-env', '--allow-ffi'];

/** What `ddim sample` prints when a signal stopped it after its current step (forwarded by the supervisor). */
export const GRACEFUL_STOP = 'interrupted: finished images are kept; rerun the same command to continue';
/** What the supervisor prints when it had to kill a run that did not stop. */
export const KILLED = 'did not stop within';

/** The command line that starts the real CLI under `runtime`, as a user would type it. */
export function cliCommand(runtime: CliRuntime = 'bun', denoPermissions: readonly string[] = DENO_SAMPLE_PERMISSIONS): string[] {
  const cli = join(ROOT, 'cli.ts');
  switch (runtime) {
    case 'bun':
      return ['bun', cli];
    case 'node':
      return ['node', '--import', 'tsx', cli];
    case 'deno':
      return [DENO, 'run', '--no-prompt', ...denoPermissions, cli];
  }
}

/** Run the real CLI (`bun cli.ts ...` by default) as a user would, from `cwd`. */
export async function runCli(
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string>; runtime?: CliRuntime } = {},
): Promise<CliResult> {
  const child = Bun.spawn([...cliCommand(options.runtime), ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const [stdout, stderr, exitCode] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  return { exitCode, stdout, stderr };
}

/** The PNG files of a folder, by name. */
export function pngs(dir: string): Map<string, Buffer> {
  const files = readdirSync(dir).filter((f) => f.endsWith('.png'));
  return new Map(files.map((f) => [f, readFileSync(join(dir, f))]));
}

/** A user mistake: exit code 2, one line on stderr that says what was wrong, no stack trace. */
export function expectUserError(result: { exitCode: number; stderr: string }, ...fragments: string[]): void {
  expect(result.exitCode).toBe(2);
  const lines = result.stderr.trim().split('\n');
  expect(lines.length).toBe(1);
  expect(lines[0]!.startsWith('error: ')).toBe(true);
  for (const fragment of fragments) expect(lines[0]).toContain(fragment);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}
