/**
 * What a user of the published package does, as helpers: pack a package as `bun pm pack` and
 * `npm pack` would publish it, install tarballs into a fresh project, run its bins, start
 * `ddim serve` on a loopback port.
 */
import { existsSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type Served, serveProcess } from './serve-process.ts';

export type { Served };

export interface Exec {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * The environment of every command: Bun on the PATH, and onnxruntime-node's install script
 * told not to download CUDA binaries (docs/INSTALL.md's `ONNXRUNTIME_NODE_INSTALL=skip`),
 * should it run at all.
 */
const ENV: Env = {
  ...process.env,
  PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
  NO_COLOR: '1',
  ONNXRUNTIME_NODE_INSTALL: 'skip',
};

/** Run a command to its end in `cwd`. */
export async function exec(command: readonly string[], cwd: string, env: Env = ENV): Promise<Exec> {
  const child = Bun.spawn([...command], { cwd, env, stdout: 'pipe', stderr: 'pipe' });
  const [stdout, stderr, exitCode] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  return { exitCode, stdout, stderr };
}

/** Like exec, but a failure throws with what the command printed. */
export async function execOk(command: readonly string[], cwd: string, env: Env = ENV): Promise<Exec> {
  const result = await exec(command, cwd, env);
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
  const dir = emptyProject(prefix, { '.npmrc': 'onnxruntime-node-install=skip\n' });
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
export function serve(command: readonly string[], cwd: string, env: Env = ENV, timeoutMs = 30_000): Promise<Served> {
  return serveProcess(command, { cwd, env, timeoutMs });
}

/**
 * The environment of a user who has Node and no Bun: ENV whose PATH is one folder of links to
 * every program on this machine's PATH but `bun` and `bunx` (which share /usr/bin with node
 * here, so no folder can simply be left out). The folder is made under `parent`.
 */
export function withoutBun(parent: string): Env {
  const farm = mkdtempSync(join(parent, 'path-'));
  const linked = new Set<string>();
  for (const dir of (ENV.PATH ?? '').split(':')) {
    if (dir === '' || !existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      if (/^bunx?(?:\.exe)?$/.test(name) || linked.has(name)) continue;
      symlinkSync(join(dir, name), join(farm, name));
      linked.add(name);
    }
  }
  // Nor what a parent `bun run test` exports for scripts (npm_execpath is bun, npm_package_json the repository's).
  const inherited = Object.entries(ENV).filter(([name]) => !name.startsWith('npm_') && name !== 'NODE');
  return { ...Object.fromEntries(inherited), PATH: farm };
}

/** A new project (package.json, type module) in a fresh temp folder, with these extra files. */
export function emptyProject(prefix: string, files: Readonly<Record<string, string>> = {}): string {
  const dir = tempDir(prefix);
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: 'ddim-user-project', private: true, type: 'module' }, null, 2)}\n`);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}
