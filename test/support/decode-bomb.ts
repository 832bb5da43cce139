/**
 * Decodes one image file as a run input in a fresh process and prints, as JSON, how much its
 * resident memory grew at the peak (sampled every 5 ms and read from /proc's high-water mark)
 * and what came out: `bun decode-bomb.ts native|portable|playground FILE SIZE` (playground: the
 * page's worker's image source, web/page/png-source.ts).
 */
import { readFileSync } from 'node:fs';
import { decodeImage } from '../../core/io/images.ts';
import { decodePngImage } from '../../core/io/png-image.ts';
import { pngImageSource } from '../../web/page/png-source.ts';

const [decoder, file, side] = process.argv.slice(2);
const size = Number(side);
const bytes = new Uint8Array(readFileSync(file!));
const highWater = () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) * 1024;
const before = process.memoryUsage().rss;
const out = new Float32Array(size * size);
let outcome: string;
try {
  if (decoder === 'playground') await pngImageSource([bytes], size, 1, 'images').read(0, 1, out);
  else await (decoder === 'native' ? decodeImage : decodePngImage)(bytes, size, 1, out, 0, 'bomb.png');
  outcome = `decoded, ${out.filter((v) => v === -1).length} black pixels`;
} catch (error) {
  outcome = error instanceof Error ? error.message : String(error);
}
console.log(JSON.stringify({ growth: Math.max(highWater(), process.memoryUsage().rss) - before, outcome }));
