import { MAX_DECODED_PIXELS } from '../core/io/bounded-png.ts';
import type { ImageSource } from '../core/io/image-source.ts';
import type { RunHost } from '../core/run-host.ts';
import { HttpError } from './http-error.ts';

/** One uploaded image and the request field it came in (for messages). */
export interface Upload {
  readonly field: string;
  readonly name: string;
  readonly bytes: Uint8Array;
}

/**
 * Larger inputs are refused before decoding: a small file can claim a huge canvas. The same
 * budget as the portable decoder's, so that an upload the native server takes the edge takes too.
 */
export const MAX_INPUT_PIXELS = MAX_DECODED_PIXELS;
const SIDE = Math.sqrt(MAX_INPUT_PIXELS);

function format(bytes: Uint8Array): 'png' | 'jpeg' | 'webp' | undefined {
  const b = bytes;
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return 'png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  const ascii = (from: number, to: number) => String.fromCharCode(...b.subarray(from, to));
  if (b.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp';
  return undefined;
}

/** Uploaded images as a run's input, decoded by `decode(count)` (or as they are read). */
export interface UploadImageSource extends ImageSource {
  /**
   * The pixels the first `count` uploads declare, read from their headers (nothing is
   * decoded): what decoding them will cost. A 400 (or 413) naming the first bad one.
   */
  measure(count: number): Promise<number>;
  /**
   * Decode and check the first `count` uploads: a 400 (or 413) naming the first bad one.
   * Stops between images once `signal` aborts (the client left, the deadline passed), rejecting with its reason.
   */
  decode(count: number, signal?: AbortSignal): Promise<void>;
}

/** The pipeline host's image decoder (sharp natively, PNG-only on the edge). */
export type ImageDecoder = Pick<RunHost, 'imageSize' | 'decodeImage'>;

type ImageSize = { width: number; height: number };

/** The upload's declared width × height (`declared` reads its header), checked before anything is decoded: a 400 or 413 naming it. */
async function uploadPixels(upload: Upload, declared: () => Promise<ImageSize>): Promise<number> {
  const { field, bytes } = upload;
  if (!format(bytes)) throw new HttpError(400, 'invalid_image', `${field}: not a PNG, JPEG or WebP image`, { field });
  let meta: ImageSize;
  try {
    meta = await declared();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new HttpError(400, 'invalid_image', `${field}: ${reason}`, { field });
  }
  if (meta.width * meta.height > MAX_INPUT_PIXELS) {
    throw new HttpError(413, 'image_too_large', `${field}: ${meta.width}x${meta.height} pixels; at most ${MAX_INPUT_PIXELS} (${SIDE}x${SIDE}) are accepted`, { field });
  }
  return meta.width * meta.height;
}

async function decodeUpload(decoder: ImageDecoder, upload: Upload, size: number, channels: number, out: Float32Array, offset: number): Promise<void> {
  const { field, name, bytes } = upload;
  try {
    await decoder.decodeImage(bytes, size, channels, out, offset, name);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new HttpError(400, 'invalid_image', `${field}: ${reason}`, { field });
  }
}

/**
 * Uploads as an image source, converted exactly as the CLI converts files in --input_dir
 * (short side resized to `size`, center-cropped, converted to `channels`). The count is
 * known at once, so a run can be planned and admitted before any decoding; the server
 * then decodes the images the run uses before sampling starts, so a corrupt image is a
 * 400 naming it rather than a failed run.
 */
export function uploadImageSource(decoder: ImageDecoder, uploads: readonly Upload[], size: number, channels: number, count = uploads.length): UploadImageSource {
  const plane = channels * size * size;
  // One upload for many items (one mask for every image) is decoded once and read for each.
  const at = (item: number) => (uploads.length === 1 ? 0 : item);
  const pixels = new Float32Array(uploads.length * plane);
  // Each header is read once: measured at admission, checked again before decoding, sized for the run's warnings.
  const declared: Promise<ImageSize>[] = [];
  const sizeOf = (index: number) => (declared[index] ??= decoder.imageSize(uploads[index]!.bytes, uploads[index]!.name));
  let decoded = 0;
  let decoding: Promise<void> = Promise.resolve();
  const decodeUpTo = (items: number, signal?: AbortSignal): Promise<void> => {
    decoding = decoding.then(async () => {
      for (; decoded < Math.min(items, uploads.length); decoded++) {
        signal?.throwIfAborted();
        const index = decoded;
        await uploadPixels(uploads[index]!, () => sizeOf(index));
        await decodeUpload(decoder, uploads[index]!, size, channels, pixels, index * plane);
      }
    });
    return decoding;
  };
  return {
    count,
    names: Array.from({ length: count }, (_, i) => uploads[at(i)]!.name),
    async measure(items) {
      let total = 0;
      for (let index = 0; index < Math.min(items, uploads.length); index++) total += await uploadPixels(uploads[index]!, () => sizeOf(index));
      return total;
    },
    decode: decodeUpTo,
    async read(start, n, out) {
      await decodeUpTo(start + n);
      for (let i = 0; i < n; i++) out.set(pixels.subarray(at(start + i) * plane, (at(start + i) + 1) * plane), i * plane);
    },
    async sizes() {
      const own = await Promise.all(uploads.map((_, index) => sizeOf(index)));
      return Array.from({ length: count }, (_, i) => own[at(i)]!);
    },
  };
}
