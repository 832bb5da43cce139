/**
 * The CLI itself under Bun, Node (`node --import tsx cli.ts`) and Deno (`deno run`):
 * the same command writes byte-identical PNGs, and a user mistake is one line everywhere.
 */
import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CliRuntime, expectUserError, pngs, runCli } from './support/cli.ts';
import { PARITY, TINY_MODEL, tempDirSync } from './support/fixtures.ts';

const RUNTIMES: readonly CliRuntime[] = ['bun', 'node', 'deno'];
const RUNTIME_LABEL: Record<CliRuntime, RegExp> = { bun: /^bun \d+\.\d+/, node: /^node v\d+\./, deno: /^deno \d+\.\d+/ };

/** Runs `args` under every runtime, each into its own folder; returns the PNGs by runtime. */
async function sampleEverywhere(args: readonly string[], expectedImages: number): Promise<Map<CliRuntime, Map<string, Buffer>>> {
  const byRuntime = new Map<CliRuntime, Map<string, Buffer>>();
  // One at a time: three model runs at once on a small machine would only slow each other down.
  for (const runtime of RUNTIMES) {
    const dir = tempDirSync();
    const result = await runCli(['sample', ...args, '--save_dir', dir, '--quiet'], { runtime });
    expect({ runtime, exitCode: result.exitCode, stderr: result.stderr }).toEqual({ runtime, exitCode: 0, stderr: '' });
    const run = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
    expect(run.runtime).toMatch(RUNTIME_LABEL[runtime]);
    const images = pngs(dir);
    expect(images.size).toBe(expectedImages);
    byRuntime.set(runtime, images);
  }
  return byRuntime;
}

function expectIdentical(byRuntime: Map<CliRuntime, Map<string, Buffer>>): void {
  const reference = byRuntime.get('bun')!;
  for (const runtime of RUNTIMES.slice(1)) {
    const other = byRuntime.get(runtime)!;
    expect([...other.keys()].sort()).toEqual([...reference.keys()].sort());
    for (const [name, bytes] of reference) expect({ runtime, name, same: other.get(name)!.equals(bytes) }).toEqual({ runtime, name, same: true });
  }
}

describe('ddim sample under Bun, Node and Deno', () => {
  test('a parity case gives byte-identical PNGs', async () => {
    const caseDir = join(PARITY, 'sample_quad20');
    const args = ['-c', join(caseDir, 'config.yaml'), '--weights', TINY_MODEL, '--noise', join(caseDir, 'noise.npy'),
      '--n_samples', '4', '--skip_type', 'quad', '--skip_steps', '20'];
    expectIdentical(await sampleEverywhere(args, 4));
  });

  test('the shipped model with eta > 0 (seeded noise at every step) gives byte-identical PNGs', async () => {
    expectIdentical(await sampleEverywhere(['--n_samples', '2', '--ddim_eta', '0.5', '--skip_steps', '5', '--seed', '11'], 2));
  });
});

describe('user mistakes under Node and Deno', () => {
  for (const runtime of ['node', 'deno'] as const) {
    test(`${runtime}: one error line, exit code 2, no stack trace`, async () => {
      expectUserError(await runCli(['sample', '--eta', '0.5'], { runtime }), 'unknown flag --eta (did you mean --ddim_eta?)');
      expectUserError(await runCli(['sample', '--skip_type', 'quadd', '--quiet'], { runtime }), 'unknown schedule "quadd"');
    });

    test(`${runtime}: no command prints the usage and exits 0`, async () => {
      const result = await runCli([], { runtime });
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toStartWith('Usage: bun run ddim sample');
    });
  }
});
