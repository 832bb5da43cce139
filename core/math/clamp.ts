/** Clamp every value to [−1, 1] in place (the reference clamps its final samples). */
export function clampUnit(values: Float32Array): Float32Array {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < -1) values[i] = -1;
    else if (v > 1) values[i] = 1;
  }
  return values;
}
