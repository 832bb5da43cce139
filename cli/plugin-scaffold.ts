/**
 * `ddim plugins new NAME [DIR]`: a plugin package to start from, written into DIR (default:
 * ./NAME without its scope). The package appears whole or not at all: its files are written
 * into a fresh folder beside DIR, which is then renamed into place.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { UserError, oneLine, quoteText } from '../core/errors.ts';
import { fileSystemCause } from '../core/sinks/save-dir-error.ts';
import { pluginPackageFiles } from './plugin-template.ts';
import type { PluginNames } from './plugin-template-sources.ts';
import { DDIM } from './command-name.ts';

/**
 * An npm package name whose last part can also name plugins: lowercase letters, digits, `-` and
 * `_`, optionally under a scope. No dots: a plugin's name is one key of `sampler.options.<name>.<key>`.
 */
const NAME = /^(?:@[a-z0-9][a-z0-9_-]*\/)?([a-z0-9][a-z0-9_-]*)$/;

/** The package's names: the mode is named after it, the schedule after it with `-karras`. */
export function pluginNames(packageName: string): PluginNames {
  const base = NAME.exec(packageName)?.[1];
  if (!base || packageName.length > 214) {
    throw new UserError(
      `plugin package name ${JSON.stringify(quoteText(packageName))}: expected lowercase letters, digits, - and _ (optionally @scope/name), e.g. ddim-plugin-sharpen`,
    );
  }
  return { packageName, mode: base, schedule: `${base}-karras` };
}

function isEmptyFolder(path: string): boolean {
  return statSync(path).isDirectory() && readdirSync(path).length === 0;
}

/**
 * Write a new plugin package for `packageName` into `dir` (default: ./<name without scope>).
 * Refuses a path that exists and is not an empty folder. Returns the folder written.
 */
export function scaffoldPlugin(packageName: string, dir?: string): string {
  const names = pluginNames(packageName);
  const target = resolve(dir ?? names.mode);
  const shown = oneLine(relative(process.cwd(), target) || '.');
  if (existsSync(target) && !isEmptyFolder(target)) {
    throw new UserError(`${shown} already exists and is not an empty folder; give a new or empty folder: ${DDIM} plugins new ${packageName} DIR`);
  }
  try {
    writePackage(target, pluginPackageFiles(names));
  } catch (error) {
    // A parent that is a file, a read-only or full disk: the machine's words, in one line.
    throw new UserError(`cannot write the plugin package to ${shown}: ${oneLine(fileSystemCause(error))}`, { exitCode: 1, cause: error });
  }
  return target;
}

/** The files into a fresh sibling of `target` (same file system, so the rename is atomic), renamed into place. */
function writePackage(target: string, files: Readonly<Record<string, string>>): void {
  mkdirSync(dirname(target), { recursive: true });
  const staging = join(dirname(target), `.${basename(target)}.${process.pid}.${Date.now()}.tmp`);
  mkdirSync(staging);
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(staging, name), text);
    if (existsSync(target)) rmdirSync(target); // empty, checked before
    renameSync(staging, target);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
}
