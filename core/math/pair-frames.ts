/**
 * Frames for PNGs that show two pictures per item side by side (input | result): item i's
 * left picture, then its right one. Modes with such items share this instead of each
 * interleaving the buffers by hand.
 */
export function pairFrames(left: Float32Array, right: Float32Array, count: number, size: number): Float32Array {
  const frames = new Float32Array(count * 2 * size);
  for (let s = 0; s < count; s++) {
    frames.set(left.subarray(s * size, (s + 1) * size), 2 * s * size);
    frames.set(right.subarray(s * size, (s + 1) * size), (2 * s + 1) * size);
  }
  return frames;
}
