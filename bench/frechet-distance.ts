/**
 * How long the Fréchet distance takes at a feature model's dimension (Inception's pool3:
 * 2048), on two statistics of random features (twice as many vectors as dimensions).
 *   bun bench/frechet-distance.ts [DIM ...]     (default: 128 512 2048)
 */
import { featureStats, frechetDistance } from '../eval/index.ts';

const dims = process.argv.slice(2).map(Number);
for (const dim of dims.length ? dims : [128, 512, 2048]) {
  let state = dim;
  const uniform = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32 - 0.5;
  const rows = 2 * dim;
  const [a, b] = [0, 1].map(() => featureStats(Float64Array.from({ length: rows * dim }, uniform), rows, dim)) as [ReturnType<typeof featureStats>, ReturnType<typeof featureStats>];
  const start = performance.now();
  const distance = frechetDistance(a, b);
  console.log(`dim ${dim}: distance ${distance.toFixed(4)} in ${((performance.now() - start) / 1000).toFixed(2)} s`);
}
