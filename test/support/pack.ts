/**
 * What a user of the published package does, as helpers: pack a package as `bun pm pack` and
 * `npm pack` would publish it, install tarballs into a fresh project, run its bins, start
 * `ddim serve` on a loopback port.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type Served, serveProcess } from './serve-process.ts';

export type { Served };

export interface Exec {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The environment of every command: Bun on the PATH (the `ddim` bin starts with
 * `#!/usr/bin/env bun`), and onnxruntime-node's install script told not to download CUDA
 * binaries, should it run at all.
 */
const ENV = {
  ...process.env,
  PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
  NO_COLOR: '1',
  ONNXRUNTIME_NODE_INSTALL: 'skip',
};

/** Run a command to its end in `cwd`. */
export async function exec(command: readonly string[], cwd: string): Promise<Exec> {
  const child = Bun.spawn([...command], { cwd, env: ENV, stdout: 'pipe', stderr: 'pipe' });
  const [stdout, stderr, exitCode] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  return { exitCode, stdout, stderr };
}

/** Like exec, but a failure throws with what the command printed. */
export async function execOk(command: readonly string[], cwd: string): Promise<Exec> {
  const result = await exec(command, cwd);
  if (result.exitCode !== 0) throw new Error(`${command.join(' ')} (in ${cwd}) exited ${result.exitCode}:\n${result.stdout}\n${result.stderr}`);
  return result;
}

/** A fresh empty folder under the system temp dir, outside the repository. */
export const tempDir = (prefix: string): string => mkdtempSync(join(tmpdir(), prefix));

/** `bun pm pack` of the package in `dir`, into `destination`: the tarball's path. */
export async function bunPack(dir: string, destination: string): Promise<string> {
  const { stdout } = await execOk(['bun', 'pm', 'pack', '--destination', destination, '--quiet'], dir);
  const tarball = stdout.trim().split('\n').at(-1) ?? '';
  return tarball.startsWith('/') ? tarball : join(destination, tarball);
}

/** The files of a package tarball, without npm's `package/` prefix, sorted. */
export async function tarballFiles(tarball: string): Promise<string[]> {
  const { stdout } = await execOk(['tar', '-tzf', tarball], dirname(tarball));
  return stdout
    .split('\n')
    .filter((line) => line !== '' && !line.endsWith('/'))
    .map((line) => line.replace(/^package\//, ''))
    .sort();
}

/** The files `npm pack` would put in the package in `dir` (its --dry-run --json report), sorted. */
export async function npmPackFiles(dir: string): Promise<string[]> {
  const { stdout } = await execOk(['npm', 'pack', '--dry-run', '--json', '--ignore-scripts'], dir);
  const [report] = JSON.parse(stdout) as { files: { path: string }[] }[];
  return (report?.files ?? []).map((file) => file.path).sort();
}

/**
 * A new project with these packages added by `bun add`, as a user would type it. Dependencies
 * come from Bun's cache when it has them (`--prefer-offline`), else from the registry; no
 * install script runs (Bun runs only trusted ones anyway; onnxruntime-node's would fetch CUDA).
 * The layout is npm's flat one, which Bun uses by default outside workspaces.
 */
export async function createProject(packages: readonly string[], prefix = 'ddim-project-'): Promise<string> {
  const dir = tempDir(prefix);
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: 'ddim-user-project', private: true, type: 'module' }, null, 2)}\n`);
  writeFileSync(join(dir, '.npmrc'), 'onnxruntime-node-install=skip\n');
  const result = await exec(['bun', 'add', '--prefer-offline', '--ignore-scripts', '--linker=hoisted', ...packages], dir);
  if (result.exitCode === 0) return dir;
  // Resolving the tarballs' version ranges takes package manifests: the registry's, or those in
  // Bun's cache. An install from a lockfile (`bun install --frozen-lockfile`) stores no manifest.
  const offline = result.stderr.includes('failed to resolve')
    ? '\n(no registry and no cached manifest: run `bun add` once with the registry reachable, which fills the cache)'
    : '';
  throw new Error(`bun add ${packages.join(' ')} failed:\n${result.stderr}${offline}`);
}

/** Start a long-running command that prints `listening on URL` on stderr (as `ddim serve` does), and wait for that line. */
export function serve(command: readonly string[], cwd: string, timeoutMs = 30_000): Promise<Served> {
  return serveProcess(command, { cwd, env: ENV, timeoutMs });
}
