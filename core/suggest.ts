/** Edit distance between two short strings (names, keys). */
function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(above + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** The valid name closest to `input`, when it is close enough to be a likely typo. */
export function nearest(input: string, valid: readonly string[]): string | undefined {
  // A name cut short is the likeliest slip: `pred_e` means `pred_eps`, not `pred_v`.
  const lower = input.toLowerCase();
  const completions = valid.filter((name) => lower.length >= 3 && name.toLowerCase().startsWith(lower));
  if (completions.length === 1) return completions[0];
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const name of valid) {
    const distance = editDistance(input.toLowerCase(), name.toLowerCase());
    if (distance < bestDistance) {
      best = name;
      bestDistance = distance;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}

/**
 * Words that name a kind of thing rather than one of its names: `gpu` is nearest to `cpu` by
 * spelling, but means the GPU providers.
 */
const MEANINGS: Readonly<Record<string, readonly string[]>> = {
  gpu: ['cuda', 'webgpu'],
  nvidia: ['cuda'],
  'cuda-gpu': ['cuda'],
};

/** ` (did you mean "x"?)` (or `"x" or "y"` where a word means several), or nothing. */
export function didYouMean(input: string, valid: readonly string[]): string {
  const meant = (MEANINGS[input.toLowerCase()] ?? []).filter((name) => valid.includes(name));
  if (meant.length > 0) return ` (did you mean ${meant.map((name) => `"${name}"`).join(' or ')}?)`;
  const hit = nearest(input, valid);
  return hit === undefined ? '' : ` (did you mean "${hit}"?)`;
}
