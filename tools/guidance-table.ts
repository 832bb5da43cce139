/**
 * The guidance table of docs/GUIDANCE.md: the shipped class-conditional Fashion-MNIST model
 * sampled at each guidance scale (K images of every class, 50 uniform DDIM steps, eta 0, seed
 * 2022), then `ddim eval` on each folder (Fréchet distance against the Fashion-MNIST test set,
 * the score and the class accuracy of the shipped classifier). Runs the CLI as a user would; a
 * run that stopped continues where it left off (the sample folders are resumable).
 *   bun tools/guidance-table.ts [PER_CLASS=100] [OUT=runs/guidance] [SCALES=0,1,3,5]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dir, '..');
const perClass = Number(process.argv[2] ?? 100);
const out = process.argv[3] ?? 'runs/guidance';
const scales = (process.argv[4] ?? '0,1,3,5').split(',').map(Number);

/** Run the toolkit's CLI; its stdout, or exit with its stderr. */
function ddim(args: string[]): string {
  const run = Bun.spawnSync(['bun', join(ROOT, 'cli.ts'), ...args], { stdout: 'pipe', stderr: 'pipe' });
  if (run.exitCode !== 0) {
    console.error(`ddim ${args.join(' ')}: exit ${run.exitCode}\n${run.stderr.toString()}`);
    process.exit(1);
  }
  return run.stdout.toString();
}

interface Report {
  frechetDistance: number;
  inceptionScore: { mean: number; std: number };
  classAccuracy: { accuracy: number; labelled: number } | null;
}

const rows: string[] = [];
for (const scale of scales) {
  const dir = join(out, `s${scale}`);
  const sample = ['sample', '-c', join(ROOT, 'models/ddpm_fashion_mnist_cond.yaml'), '--n_samples_each_class', String(perClass), '--guidance_scale', String(scale)];
  ddim([...sample, '--skip_steps', '50', '--skip_type', 'uniform', '--ddim_eta', '0', '--seed', '2022', '--save_dir', dir, '--quiet']);
  const report = JSON.parse(ddim(['eval', '--samples', dir, '--json', '--quiet'])) as Report;
  const run = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as { items: number; timings: { itemsPerSecond: number } };
  const accuracy = report.classAccuracy ? report.classAccuracy.accuracy.toFixed(4) : 'n/a';
  const score = `${report.inceptionScore.mean.toFixed(2)} ± ${report.inceptionScore.std.toFixed(2)}`;
  rows.push(`| ${scale} | ${run.items.toLocaleString('en')} | ${report.frechetDistance.toFixed(3)} | ${score} | ${accuracy} | ${run.timings.itemsPerSecond.toPrecision(3)} |`);
  console.error(`s = ${scale}: done (${dir})`);
}
console.log('| guidance scale s | samples | Fréchet distance ↓ | score ↑ | class accuracy ↑ | images/s |');
console.log('|---|---|---|---|---|---|');
for (const row of rows) console.log(row);
