/** The checks a folder of images gets before any model is loaded. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../core/errors.ts';
import { listImages } from '../core/io/images.ts';

/** The images under `dir`, searched recursively; `what` names the folder in messages. */
export function imageFiles(dir: string, what: string): string[] {
  let stat;
  try {
    stat = statSync(dir);
  } catch {
    throw new UserError(`${what} folder not found: ${dir}`);
  }
  if (!stat.isDirectory()) throw new UserError(`${what} ${dir} is not a folder of images`);
  const files = listImages(dir);
  if (files.length === 0) throw new UserError(`no images (.png, .jpg, .jpeg, .webp) found in ${what} folder ${dir}`);
  return files;
}

/** Interpolation rows and reconstruction pairs are pictures of several frames, not samples: say so. */
export function warnAboutRunMode(samples: string, warn: (message: string) => void): void {
  const runJson = join(samples, 'run.json');
  if (!existsSync(runJson)) return;
  let mode: unknown;
  try {
    mode = JSON.parse(readFileSync(runJson, 'utf8')).mode;
  } catch {
    return;
  }
  if (typeof mode === 'string' && mode !== 'sample') {
    warn(`${samples} holds the results of a run in mode "${mode}" (see its run.json): its PNGs are not single samples, and eval center-crops each to the model's input`);
  }
}
