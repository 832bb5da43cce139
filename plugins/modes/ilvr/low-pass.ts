/**
 * ILVR's low-pass filter φ_N = upsample(downsample(·, N), N): box down-sampling (the mean of
 * each N×N block) and nearest up-sampling (every pixel of a block takes that mean). φ_N is a
 * projection (φ_N ∘ φ_N = φ_N): it replaces each block by its mean.
 */

/** Image geometry of a batch laid out [B, C, H, W]; N divides H and W. */
export interface LowPassShape {
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  readonly factor: number;
}

/**
 * x ← x − φ_N(x) + φ_N(target), in place, for `batch` images: each N×N block of x is shifted
 * by the mean of (target − x) over it, so its block means become target's and what varies
 * inside the block stays x's. Allocates nothing.
 */
export function replaceLowPass(x: Float32Array, target: Float32Array, batch: number, shape: LowPassShape): void {
  const { channels, height, width, factor: n } = shape;
  const planes = batch * channels;
  const area = n * n;
  for (let p = 0; p < planes; p++) {
    const plane = p * height * width;
    for (let by = 0; by < height; by += n) {
      for (let bx = 0; bx < width; bx += n) {
        const corner = plane + by * width + bx;
        let sum = 0;
        for (let dy = 0; dy < n; dy++) {
          const row = corner + dy * width;
          for (let dx = 0; dx < n; dx++) sum += target[row + dx]! - x[row + dx]!;
        }
        const shift = sum / area;
        for (let dy = 0; dy < n; dy++) {
          const row = corner + dy * width;
          for (let dx = 0; dx < n; dx++) x[row + dx] = x[row + dx]! + shift;
        }
      }
    }
  }
}

/** φ_N(x) of `batch` images into out (same layout as x). */
export function lowPass(x: Float32Array, out: Float32Array, batch: number, shape: LowPassShape): void {
  const { channels, height, width, factor: n } = shape;
  const planes = batch * channels;
  for (let p = 0; p < planes; p++) {
    const plane = p * height * width;
    for (let by = 0; by < height; by += n) {
      for (let bx = 0; bx < width; bx += n) {
        const corner = plane + by * width + bx;
        let sum = 0;
        for (let dy = 0; dy < n; dy++) for (let dx = 0; dx < n; dx++) sum += x[corner + dy * width + dx]!;
        const mean = sum / (n * n);
        for (let dy = 0; dy < n; dy++) for (let dx = 0; dx < n; dx++) out[corner + dy * width + dx] = mean;
      }
    }
  }
}
