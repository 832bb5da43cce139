/** SHA-256 digests as hex: how runs and stats files name the exact model and inputs they used. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function sha256File(path: string): string {
  return sha256Hex(readFileSync(path));
}
