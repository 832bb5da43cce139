/** `ddim verify DIR`: one whole run in a folder (shards included), SHA256SUMS, and what would redo the rest. */
import { describe, expect, test } from 'bun:test';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expectUserError, pngs, runCli } from './support/cli.ts';
import { ROOT, tempDirSync } from './support/fixtures.ts';

const FAST = ['--skip_steps', '4', '--quiet'];

/** `redo: …` lines as commands to run here (`bun run ddim` is `bun cli.ts` from the checkout). */
async function runRedo(stdout: string): Promise<void> {
  for (const line of stdout.split('\n').filter((l) => l.startsWith('redo: '))) {
    const command = line.slice('redo: '.length).replace('bun run ddim', `bun ${join(ROOT, 'cli.ts')}`);
    const child = Bun.spawn(['bash', '-c', command], { cwd: ROOT, stdout: 'ignore', stderr: 'pipe' });
    expect(await child.exited).toBe(0);
  }
}

describe('ddim verify', () => {
  test('a complete sharded folder passes, gets a SHA256SUMS that sha256sum -c accepts, and is checked against it afterwards', async () => {
    const dir = tempDirSync();
    const args = ['sample', '--n_samples', '6', '--micro_batch', '2', ...FAST, '--save_dir', dir];
    for (const k of [0, 1]) expect((await runCli([...args, '--shard', `${k}/2`])).exitCode).toBe(0);
    const first = await runCli(['verify', dir]);
    expect(first.stderr).toBe('');
    expect(first.exitCode).toBe(0);
    expect(first.stdout).toBe('verify: 6 of 6 items, 2 shard records agree, SHA256SUMS written\n');
    const manifest = readFileSync(join(dir, 'SHA256SUMS'), 'utf8');
    expect(manifest.trim().split('\n').map((line) => line.slice(66))).toEqual(['0.png', '1.png', '2.png', '3.png', '4.png', '5.png']);
    const check = Bun.spawnSync(['sha256sum', '-c', '--strict', 'SHA256SUMS'], { cwd: dir });
    expect(check.exitCode).toBe(0);
    expect(check.stdout.toString().trim().split('\n')).toHaveLength(6);

    const again = await runCli(['verify', dir]);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toBe('verify: 6 of 6 items, 2 shard records agree, SHA256SUMS checked\n');

    // A whole PNG, but not the one the manifest names.
    copyFileSync(join(dir, '0.png'), join(dir, '3.png'));
    const swapped = await runCli(['verify', dir]);
    expect(swapped.exitCode).toBe(1);
    expect(swapped.stdout).toContain('bad: 3.png (differs from SHA256SUMS)');
    expect(swapped.stdout).toContain(`redo: rm -f ${join(dir, '3.png')} && bun run ddim sample`);
    expect(swapped.stderr).toBe(`error: ${dir} does not hold one complete, consistent run\n`);
    await runRedo(swapped.stdout);
    expect((await runCli(['verify', dir])).exitCode).toBe(0);
  });

  test('lists missing and broken items as ranges, with the --shard commands that redo them, which do', async () => {
    const dir = tempDirSync();
    const reference = tempDirSync();
    const args = ['sample', '--n_samples', '12', '--micro_batch', '2', ...FAST];
    expect((await runCli([...args, '--save_dir', reference])).exitCode).toBe(0);
    for (const k of [0, 1, 2]) expect((await runCli([...args, '--save_dir', dir, '--shard', `${k}/3`])).exitCode).toBe(0);
    for (const i of [1, 2, 3, 9]) rmSync(join(dir, `${i}.png`));
    const png = readFileSync(join(dir, '6.png'));
    writeFileSync(join(dir, '6.png'), png.subarray(0, png.length - 20)); // cut short, as by a full disk
    const bitFlip = Buffer.from(readFileSync(join(dir, '7.png')));
    bitFlip[bitFlip.length >> 1]! ^= 0x10; // inside the image data
    writeFileSync(join(dir, '7.png'), bitFlip);
    writeFileSync(join(dir, '8.png'), readFileSync(join(ROOT, 'models/ddpm_fashion_mnist_steps.png'))); // a PNG, of another size

    const result = await runCli(['verify', dir]);
    expect(result.exitCode).toBe(1);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toBe('verify: 5 of 12 items, 3 shard records agree, SHA256SUMS not written (incomplete)');
    expect(lines[1]).toBe('missing: 1..3, 9');
    expect(lines[2]).toBe('bad: 6.png (truncated in its IDAT chunk)');
    expect(lines[3]).toBe('bad: 7.png (bad CRC in its IDAT chunk)');
    expect(lines[4]).toMatch(/^bad: 8\.png \(\d+×\d+ pixels, expected 32×32\)$/);
    // Shards [0,4) [4,8) [8,12): 1..3 are shard 0's, 6 and 7 shard 1's, 8 and 9 shard 2's; bad files go before the rerun.
    const redo = lines.filter((line) => line.startsWith('redo: '));
    expect(redo).toHaveLength(3);
    expect(redo[0]).toEndWith(`--save_dir ${dir} --shard 0/3`);
    expect(redo[1]).toStartWith(`redo: rm -f ${join(dir, '6.png')} ${join(dir, '7.png')} && bun run ddim sample`);
    expect(redo[1]).toEndWith('--shard 1/3');
    expect(redo[2]).toStartWith(`redo: rm -f ${join(dir, '8.png')} && `);
    expect(existsSync(join(dir, 'SHA256SUMS'))).toBe(false);

    await runRedo(result.stdout);
    const fixed = await runCli(['verify', dir]);
    expect(fixed.exitCode).toBe(0);
    expect(fixed.stdout).toBe('verify: 12 of 12 items, 3 shard records agree, SHA256SUMS written\n');
    const expected = pngs(reference);
    for (const [name, bytes] of pngs(dir)) expect(bytes.equals(expected.get(name)!)).toBe(true);
  });

  test('records that disagree fail it, and an unsharded run verifies with its run.json', async () => {
    const dir = tempDirSync();
    expect((await runCli(['sample', '--n_samples', '3', ...FAST, '--save_dir', dir])).exitCode).toBe(0);
    const ok = await runCli(['verify', dir, '--quiet']);
    expect(ok.stdout).toBe('verify: 3 of 3 items, 1 run record (run.json), SHA256SUMS written\n');
    const run = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
    writeFileSync(join(dir, 'run.shard-1-of-2.json'), JSON.stringify({ ...run, fingerprint: 'ffffffffffffffff', shard: { index: 1, count: 2, start: 1, end: 3 } }));
    const result = await runCli(['verify', dir]);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain('verify: 3 of 3 items, run records disagree, SHA256SUMS checked\n');
    expect(result.stdout).toContain('records: run.shard-1-of-2.json and run.json disagree: other settings, model or noise file');
    expect(result.stdout).not.toContain('redo:');
  });

  test('usage errors exit 2 in one line; --help explains', async () => {
    expectUserError(await runCli(['verify']), 'expected one folder: bun run ddim verify DIR, got 0');
    expectUserError(await runCli(['verify', join(tempDirSync(), 'nothing-here')]), 'is not a folder');
    const empty = tempDirSync();
    mkdirSync(join(empty, 'sub'));
    expectUserError(await runCli(['verify', empty]), 'holds no run record (run.json or run.shard-k-of-n.json)');
    expectUserError(await runCli(['verify', empty, '--seed', '3']), '--seed is not a verify flag');
    const help = await runCli(['verify', '--help']);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toStartWith('Usage: bun run ddim verify DIR');
    expect(help.stdout).toContain('Exit status: 0 complete and consistent, 1 not, 2 DIR is not a save_dir.');
  });
});
