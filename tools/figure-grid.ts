/**
 * A figure of sample images: rows of equal-size PNGs, each enlarged `scale` times with
 * nearest-neighbour (so pixels stay visible), on black with `gap` pixels between tiles.
 */
import sharp from 'sharp';

export interface GridOptions {
  /** Side of every input image in pixels. */
  readonly size: number;
  readonly scale?: number;
  readonly gap?: number;
}

/** Write `rows` (row-major lists of PNG bytes, all `size`² pixels) as one PNG at `out`. */
export async function writeGridFigure(rows: readonly (readonly Uint8Array[])[], out: string, { size, scale = 2, gap = 2 }: GridOptions): Promise<void> {
  const cell = size * scale;
  const columns = Math.max(...rows.map((row) => row.length));
  const width = columns * cell + (columns + 1) * gap;
  const height = rows.length * cell + (rows.length + 1) * gap;
  const tiles = await Promise.all(
    rows.flatMap((pngs, r) =>
      pngs.map(async (png, c) => ({
        input: await sharp(png).resize(cell, cell, { kernel: 'nearest' }).toBuffer(),
        left: gap + c * (cell + gap),
        top: gap + r * (cell + gap),
      })),
    ),
  );
  await sharp({ create: { width, height, channels: 3, background: { r: 0, g: 0, b: 0 } } }).composite(tiles).png().toFile(out);
}
