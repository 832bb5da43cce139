/** The dispatcher and the small commands: usage, per-command help, `ddim plugins`. */
import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ServerSchema } from '../core/config/schema.ts';
import { expectUserError, runCli } from './support/cli.ts';
import { ROOT, tempDirSync } from './support/fixtures.ts';

const STRIDED = './test/fixtures/plugins/strided-schedule.ts';

interface Described {
  readonly name: string;
  readonly description?: string;
  readonly options: Record<string, unknown> | null;
}

describe('the dispatcher', () => {
  test('ddim with no command prints the usage and exits 0, quickly, without sampling', async () => {
    const cwd = tempDirSync();
    const started = performance.now();
    const result = await runCli([], { cwd });
    const seconds = (performance.now() - started) / 1000;
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toStartWith('Usage: bun run ddim sample');
    expect(result.stdout).toContain('bun run ddim plugins');
    expect(result.stderr).toBe('');
    expect(seconds).toBeLessThan(2);
    // Sampling with the defaults would have made ./samples.
    expect(await Bun.file(join(cwd, 'samples', 'run.json')).exists()).toBe(false);
  });

  test('bun run ddim (the package script) prints the usage too', async () => {
    const child = Bun.spawn(['bun', 'run', 'ddim'], { cwd: ROOT, stdout: 'pipe', stderr: 'pipe' });
    const [stdout, code] = await Promise.all([new Response(child.stdout).text(), child.exited]);
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: bun run ddim sample');
  });

  test('through the package\'s bin the texts say `ddim`, the command a user of the installed package types', async () => {
    const child = Bun.spawn(['bun', join(ROOT, 'bin/ddim.js'), '--help'], { cwd: tempDirSync(), stdout: 'pipe', stderr: 'pipe' });
    const [stdout, code] = await Promise.all([new Response(child.stdout).text(), child.exited]);
    expect(code).toBe(0);
    expect(stdout).toStartWith('Usage: ddim sample');
    expect(stdout).not.toContain('bun run ddim');
    // An unknown flag and a flag of another command both point at the help, by the name typed.
    for (const flag of ['--sampels', '--skip_steps']) {
      const viaBin = Bun.spawn(['bun', join(ROOT, 'bin/ddim.js'), 'eval', flag, '3'], { cwd: tempDirSync(), stdout: 'pipe', stderr: 'pipe' });
      const [stderr, exitCode] = await Promise.all([new Response(viaBin.stderr).text(), viaBin.exited]);
      expect(exitCode).toBe(2);
      expect(stderr).toContain('see ddim eval --help');
      expect(stderr).not.toContain('bun run ddim');
      const fromClone = await runCli(['eval', flag, '3']);
      expect(fromClone.exitCode).toBe(2);
      expect(fromClone.stderr).toContain('see bun run ddim eval --help');
    }
  });

  test('flags without a command sample, as the reference script does, with the same bytes as `sample`', async () => {
    const bare = tempDirSync();
    const named = tempDirSync();
    const flags = ['--n_samples', '2', '--skip_steps', '3', '--seed', '4', '--quiet'];
    const viaFlags = await runCli([...flags, '--save_dir', bare]);
    const viaCommand = await runCli(['sample', ...flags, '--save_dir', named]);
    expect(viaFlags.stderr).toBe('');
    expect(viaFlags.exitCode).toBe(0);
    expect(viaCommand.exitCode).toBe(0);
    for (const name of ['0.png', '1.png']) expect(readFileSync(join(bare, name)).equals(readFileSync(join(named, name)))).toBe(true);
  });

  test('help <command> is <command> --help, and an unknown one is named', async () => {
    const viaHelp = await runCli(['help', 'eval']);
    const viaFlag = await runCli(['eval', '--help']);
    expect(viaHelp.exitCode).toBe(0);
    expect(viaHelp.stdout).toStartWith('Usage: bun run ddim eval');
    expect(viaFlag.stdout).toBe(viaHelp.stdout);
    expectUserError(await runCli(['help', 'sampel']), 'unknown command "sampel"; valid commands: sample, serve, eval, plugins, verify, help');
  });

  test('a flag of another command names the command it was given to', async () => {
    expectUserError(await runCli(['plugins', '--skip_steps', '3']), '--skip_steps is not a plugins flag; see bun run ddim plugins --help');
    expectUserError(await runCli(['eval', '--input_dir', 'x']), '--input_dir is not an eval flag (did you mean --samples?)');
    expectUserError(await runCli(['eval', '-c', 'x.yaml']), '--config is not an eval flag');
  });
});

describe('ddim serve --help', () => {
  test('lists --port, --host and every server.* key with its default, from the config schema', async () => {
    const result = await runCli(['serve', '--help']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toStartWith('Usage: bun run ddim serve');
    for (const flag of ['--port N', '--host HOST', '--weights MODEL.onnx', '--config CONFIG']) expect(result.stdout).toContain(flag);
    const keys = Object.keys(ServerSchema.entries);
    expect(keys).toContain('max_batch');
    for (const key of keys) expect(result.stdout).toMatch(new RegExp(`^  server\\.${key}=\\S+ +.*; default `, 'm'));
    expect(result.stdout).toMatch(/server\.max_batch=N +integer >= 1; default 64$/m);
    expect(result.stdout).toMatch(/server\.shutdown_grace_ms=N +integer >= 0; default 10000$/m);
  });
});

describe('ddim plugins', () => {
  test('prints the built-ins and a --plugin module as JSON, with option schemas', async () => {
    const result = await runCli(['plugins', '--plugin', STRIDED]);
    expect(result.exitCode).toBe(0);
    const listed = JSON.parse(result.stdout) as { modes: Described[]; schedules: Described[] };
    expect(listed.modes.map((m) => m.name)).toEqual(['sample', 'interpolate', 'reconstruction', 'sdedit', 'inpaint', 'ilvr', 'trajectory']);
    expect(listed.schedules.map((s) => s.name)).toEqual(['uniform', 'quad', 'linspace', 'trailing', 'uniform-linspace', 'uniform-trailing', 'quad-float32', 'strided']);
    const strided = listed.schedules.find((s) => s.name === 'strided')!;
    expect(strided.description).toBeString();
    expect(strided.options).toMatchObject({ type: 'object', properties: { stride: { type: 'integer', default: 100 } } });
  });

  test("loads the config's plugins: relative to the config file", async () => {
    const result = await runCli(['plugins', '-c', join(ROOT, 'test/fixtures/plugins.yaml')], { cwd: tempDirSync() });
    expect(result.exitCode).toBe(0);
    const listed = JSON.parse(result.stdout) as { modes: Described[]; schedules: Described[] };
    expect(listed.modes.map((m) => m.name)).toContain('noise-and-sample');
    expect(listed.schedules.map((s) => s.name)).toContain('strided');
  });

  test('a module that cannot load fails in one line; --help describes the command', async () => {
    expectUserError(await runCli(['plugins', '--plugin', './no/such/plugin.ts']), 'cannot load plugin', 'plugin.ts');
    const help = await runCli(['plugins', '--help']);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toStartWith('Usage: bun run ddim plugins');
    expect(help.stdout).toContain('--plugin MODULE');
  });
});
