/**
 * Input images without sharp (edge workers, browsers): PNG only, at the model's size, converted
 * to the model's channels the way libvips converts them (gray = Rec. 709 luminance in linear
 * light; alpha dropped), within one level of sharp's result (its arithmetic rounds elsewhere;
 * png-image.test.ts measures it). Resizing is left to the caller (the playground resizes in the
 * browser); a PNG of another size is refused in one line.
 */
import { UserError, oneLine } from '../errors.ts';
import { PNG_SIGNATURE } from './bounded-png.ts';
import { decodePng } from './png.ts';

/** Width and height from a PNG's header, without decoding it. */
export function pngSize(bytes: Uint8Array, name = 'image'): { width: number; height: number } {
  if (bytes.length < 24 || PNG_SIGNATURE.some((b, i) => bytes[i] !== b)) {
    throw new UserError(`cannot read image ${oneLine(name)}: only PNG images are read on this runtime (no native image library here)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

const toLinear = (v: number) => {
  const c = v / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
};
const LINEAR = Float64Array.from({ length: 256 }, (_, v) => toLinear(v));
const toSrgbByte = (y: number) => Math.round(255 * (y <= 0.0031308 ? 12.92 * y : 1.055 * y ** (1 / 2.4) - 0.055));

/** Decode a size×size PNG to `channels` planes of values v/127.5 − 1 at out[offset..). */
export async function decodePngImage(bytes: Uint8Array, size: number, channels: number, out: Float32Array, offset: number, name = 'image'): Promise<void> {
  const { width, height } = pngSize(bytes, name);
  if (width !== size || height !== size) {
    throw new UserError(`cannot read image ${oneLine(name)}: it is ${width}×${height}; on this runtime inputs must be ${size}×${size} PNGs (resize before sending)`);
  }
  const png = decodePng(bytes, name);
  const pixels = size * size;
  const stride = png.channels;
  const color = stride >= 3;
  for (let p = 0; p < pixels; p++) {
    const at = p * stride;
    if (channels === 1) {
      const gray = color ? toSrgbByte(0.2126 * LINEAR[png.data[at]!]! + 0.7152 * LINEAR[png.data[at + 1]!]! + 0.0722 * LINEAR[png.data[at + 2]!]!) : png.data[at]!;
      out[offset + p] = gray / 127.5 - 1;
    } else {
      for (let c = 0; c < channels; c++) out[offset + c * pixels + p] = png.data[at + (color ? c : 0)]! / 127.5 - 1;
    }
  }
}
