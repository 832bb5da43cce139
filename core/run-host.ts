/**
 * What a run may need of the machine it runs on: files named in the config (noise, input
 * and mask folders), an image decoder and the size of memory. The pipeline is given one:
 * ./io/local-host.ts where there are files and sharp; on the edge and in browsers
 * ./io/portable-host.ts, where runs take their inputs as sources (uploads, bytes) instead.
 */
import type { ImageSource } from './io/image-source.ts';

export interface RunHost {
  /** Bytes of memory of this machine; undefined where the runtime may not tell (the 8 GiB cap holds). */
  totalMemory(): number | undefined;
  /** A file's size in bytes, undefined when the path is not a regular file; throws when it is missing. */
  fileSize(path: string): number | undefined;
  readFile(path: string): Uint8Array;
  /** Whether two paths name the same folder. */
  samePath(a: string, b: string): boolean;
  /** Images under a folder (recursive, sorted), `exclude` skipped, decoded to size×size×channels on demand. */
  imageFolder(dir: string, size: number, channels: number, exclude?: string): ImageSource;
  /** The mask of each input, found under maskDir by the input's path relative to inputDir. */
  maskFolder(maskDir: string, inputDir: string, inputs: ImageSource, size: number): ImageSource;
  /** One mask file for all `count` inputs. */
  maskFile(file: string, count: number, size: number): ImageSource;
  /** An encoded image's size, read from its header; throws a UserError when it is not an image this host reads. */
  imageSize(bytes: Uint8Array, name: string): Promise<{ width: number; height: number }>;
  /** Decode an image to size×size, `channels` planes of values v/127.5 − 1 at out[offset..); throws a UserError. */
  decodeImage(bytes: Uint8Array, size: number, channels: number, out: Float32Array, offset: number, name: string): Promise<void>;
}
