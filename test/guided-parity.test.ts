/**
 * Guided DDIM against an independent float64 reference (tools/guided_reference.py: its own
 * loop over the stand-in network in PyTorch float64, written from the original's
 * classifier_free.py step), through the real CLI: s ∈ {0, 1, 3}, η ∈ {0, 0.5}, uniform and
 * quad, ε and x0 objectives, clip on and off, one item per class (class-major). Each case
 * runs on both backends (onnxruntime-node, and onnxruntime-web's WebAssembly with
 * `--backend web`) to the same bound; run.json's providers say which one really ran.
 */
import { describe, expect, test } from 'bun:test';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseNpy } from '../core/io/npy.ts';
import { runCli } from './support/cli.ts';
import { maxAbsDiff } from './support/sample-diff.ts';
import { REFERENCE, ROOT, tempDirSync } from './support/fixtures.ts';

const GUIDED = join(REFERENCE, 'guided');
const MODEL = join(ROOT, 'test/fixtures/conditional/standin.onnx');
/** The bound, for both backends; each case prints the largest difference it measured. */
const TOLERANCE = 1e-4;
/** The backends, as `--backend` names them, and the execution provider each records in run.json. */
const BACKENDS = [
  { name: 'native', provider: 'cpu' },
  { name: 'web', provider: 'wasm' },
] as const;

interface Case {
  args: string[];
  timesteps: number[];
  shape: number[];
}

const cases = readdirSync(GUIDED).filter((name) => existsSync(join(GUIDED, name, 'case.json')));

describe('guided DDIM against the float64 reference', () => {
  test('covers every scale, eta, schedule, objective and clip setting', () => {
    const all = cases.join(' ');
    for (const part of ['s0_', 's1_', 's3_', 'eta0_', 'eta0.5_', 'uniform', 'quad', 'pred_eps', 'pred_x0', '_clip', '_noclip']) expect(all).toContain(part);
  });

  for (const name of cases) for (const backend of BACKENDS) {
    test(`${name}, --backend ${backend.name}: the CLI is within ${TOLERANCE} of expected.npy`, async () => {
      const dir = join(GUIDED, name);
      const spec = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as Case;
      const out = tempDirSync();
      const result = await runCli(['sample', '-c', '../config.yaml', '--weights', MODEL, ...spec.args, '--backend', backend.name, '--save_dir', out, '--save_npy', '--quiet'], { cwd: dir });
      expect(result.stderr).toBe('');
      expect(result.exitCode).toBe(0);
      const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
      expect(run.timesteps).toEqual(spec.timesteps);
      expect(run.model.providers).toEqual([backend.provider]);
      const ours = parseNpy(readFileSync(join(out, 'samples.npy')));
      const expected = parseNpy(readFileSync(join(dir, 'expected.npy')));
      expect(ours.shape).toEqual(spec.shape);
      const difference = maxAbsDiff(ours.data, expected.data);
      console.log(`guided parity ${name} (${backend.name}): max |ours − reference| = ${difference.toExponential(2)}`);
      expect(difference).toBeLessThanOrEqual(TOLERANCE);
      for (let c = 0; c < spec.shape[0]!; c++) expect(existsSync(join(out, `class${c}`, '0.png'))).toBe(true);
    });
  }
});
