/** The reference tool's float → byte mapping and the layout of an output picture (frames side by side). */

/** round((clamp(x)+1)/2·255), the reference tool's float → byte mapping. */
export function toByte(x: number): number {
  const clamped = x < -1 ? -1 : x > 1 ? 1 : x;
  return Math.round(((clamped + 1) / 2) * 255);
}

/** Pixel layout of one output picture. */
export interface PictureLayout {
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  /** Frames side by side; more than one are separated and framed by `border` black pixels. */
  readonly frames: number;
  readonly border: number;
}

export function pictureSize(layout: PictureLayout): { width: number; height: number } {
  const { frames, border, width, height } = layout;
  if (frames === 1) return { width, height };
  return { width: frames * width + (frames + 1) * border, height: height + 2 * border };
}
/** Interleaved 8-bit pixels (H·W·C) of `layout.frames` C·H·W frames read from frames[offset..). */
export function renderPicture(frames: Float32Array, offset: number, layout: PictureLayout): Uint8Array {
  const { channels, height, width, frames: count } = layout;
  const border = count === 1 ? 0 : layout.border;
  const size = pictureSize(layout);
  const out = new Uint8Array(size.width * size.height * channels);
  const plane = height * width;
  for (let f = 0; f < count; f++) {
    const source = offset + f * channels * plane;
    const left = border + f * (width + border);
    for (let y = 0; y < height; y++) {
      const row = ((y + border) * size.width + left) * channels;
      for (let xPos = 0; xPos < width; xPos++) {
        for (let c = 0; c < channels; c++) out[row + xPos * channels + c] = toByte(frames[source + c * plane + y * width + xPos]!);
      }
    }
  }
  return out;
}
