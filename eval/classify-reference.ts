/** What a --reference path holds, told from the file system and the file's first bytes. */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { UserError } from '../core/errors.ts';
import { isZip } from '../core/io/npz.ts';
import type { ReferenceKind } from './eval-types.ts';
import { isGzip, isIdx } from './idx-file.ts';
import { looksLikeJson } from './stats-file.ts';

export interface Reference {
  readonly kind: ReferenceKind;
  readonly path: string;
}

function firstBytes(path: string, count: number): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const bytes = new Uint8Array(count);
    return bytes.subarray(0, readSync(fd, bytes, 0, count, 0));
  } finally {
    closeSync(fd);
  }
}

/** What a --reference path holds: a folder of images, an idx file, or a stats file (.json or .npz). */
export function classifyReference(path: string): Reference {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    throw new UserError(`reference not found: ${path}`);
  }
  if (stat.isDirectory()) return { kind: 'images', path };
  const head = firstBytes(path, 64);
  if (isGzip(head) || isIdx(head)) return { kind: 'idx', path };
  if (looksLikeJson(head)) return { kind: 'stats', path };
  if (isZip(head)) return { kind: 'npz', path };
  throw new UserError(`reference ${path} is neither a folder of images, an idx images file (.gz) nor a stats file (.json, or .npz with mu and sigma)`);
}
