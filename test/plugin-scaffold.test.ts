/**
 * `ddim plugins new`, as a plugin author meets it: the toolkit packed and installed with `bun add`,
 * its `ddim` bin writes a plugin package into a fresh folder, the toolkit's tarball is added there
 * as a dev dependency, and the package's own tests and type check pass at once. Then the package,
 * added to the project, runs through the `ddim` bin as its README shows.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TEMPLATE_VERSIONS } from '../cli/plugin-template.ts';
import { bunPack, createProject, exec, execOk, tempDir } from './support/pack.ts';
import { ROOT } from './support/paths.ts';

const NAME = 'ddim-plugin-demo';
const FILES = ['README.md', 'index.ts', 'mode.test.ts', 'mode.ts', 'package.json', 'schedule.test.ts', 'schedule.ts', 'test-support.ts', 'tsconfig.json'];

const state = { tarball: '', project: '', work: '', plugin: '' };
const cleanup: string[] = [];

beforeAll(async () => {
  const packs = tempDir('ddim-scaffold-pack-');
  cleanup.push(packs);
  state.tarball = await bunPack(ROOT, packs);
  state.project = await createProject([state.tarball], 'ddim-scaffold-project-');
  state.work = tempDir('ddim-scaffold-work-');
  cleanup.push(state.project, state.work);
  state.plugin = join(state.work, NAME);
});
afterAll(() => {
  for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
});

/** The installed toolkit's `ddim`, run in `cwd` by Bun (as `bunx --bun ddim` does): the plugin package it loads is TypeScript. */
const ddim = (cwd: string, ...args: string[]) => exec(['bun', join(state.project, 'node_modules/.bin/ddim'), ...args], cwd);

describe('ddim plugins new', () => {
  test('writes a plugin package that passes its own tests and type check right after install', async () => {
    const made = await ddim(state.work, 'plugins', 'new', NAME);
    expect(made.stderr).toBe('');
    expect(made.exitCode).toBe(0);
    expect(made.stdout).toContain(state.plugin);
    expect(readdirSync(state.plugin).sort()).toEqual(FILES);
    const manifest = JSON.parse(readFileSync(join(state.plugin, 'package.json'), 'utf8'));
    expect(manifest).toMatchObject({ name: NAME, type: 'module', peerDependencies: { 'ddim-toolkit': TEMPLATE_VERSIONS.toolkit } });

    await execOk(['bun', 'add', '--dev', '--prefer-offline', '--ignore-scripts', state.tarball], state.plugin);
    const tests = await exec(['bun', 'test'], state.plugin);
    expect(tests.stderr).toMatch(/\n 9 pass\n 0 fail\n/);
    expect(tests.exitCode).toBe(0);
    const types = await exec([join(state.plugin, 'node_modules/.bin/tsc'), '--noEmit'], state.plugin);
    expect(types.stdout + types.stderr).toBe('');
    expect(types.exitCode).toBe(0);
  });

  test("runs, added to a project, as its README's commands show", async () => {
    expect(existsSync(join(state.plugin, 'node_modules'))).toBe(true); // the first test installed its dev dependencies
    await execOk(['bun', 'add', '--prefer-offline', '--ignore-scripts', state.plugin], state.project);
    // The README's `bunx --bun ddim ...` lines, continuations joined and comments dropped, as words.
    const readme = readFileSync(join(state.plugin, 'README.md'), 'utf8').replace(/\\\n\s*/g, ' ');
    const commands = [...readme.matchAll(/^bunx --bun ddim ([^#\n]+)/gm)].map((match) => match[1]!.trim().split(/\s+/));
    expect(commands.map((words) => words[0])).toEqual(['sample', 'plugins']);
    const sample = await ddim(state.project, ...commands[0]!, '--n_samples', '2', '--quiet');
    expect(sample.stderr).toBe('');
    expect(sample.exitCode).toBe(0);
    const run = JSON.parse(readFileSync(join(state.project, 'out/run.json'), 'utf8'));
    expect(run).toMatchObject({ mode: NAME, items: 2 });
    expect(run.timesteps.at(-1)).toBe(999);
    const listed = await ddim(state.project, ...commands[1]!);
    expect(listed.exitCode).toBe(0);
    const plugins = JSON.parse(listed.stdout) as Record<'modes' | 'schedules', { name: string }[]>;
    expect(plugins.modes.map((mode) => mode.name)).toContain(NAME);
    expect(plugins.schedules.map((schedule) => schedule.name)).toContain(`${NAME}-karras`);
  });

  test('refuses a folder that is not empty, a name that is no package name, and other flags, in one line each', async () => {
    const taken = join(state.work, 'taken');
    mkdirSync(taken);
    writeFileSync(join(taken, 'notes.txt'), 'mine\n');
    const refused = await ddim(state.work, 'plugins', 'new', NAME, 'taken');
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toBe(`error: taken already exists and is not an empty folder; give a new or empty folder: ddim plugins new ${NAME} DIR\n`);
    expect(readdirSync(taken)).toEqual(['notes.txt']);

    const badName = await ddim(state.work, 'plugins', 'new', 'My.Plugin');
    expect(badName.exitCode).toBe(2);
    expect(badName.stderr.trim().split('\n')).toEqual([expect.stringContaining('expected lowercase letters, digits, - and _')]);

    const flags = await ddim(state.work, 'plugins', 'new', 'other', '--plugin', 'x');
    expect(flags.exitCode).toBe(2);
    expect(flags.stderr).toBe('error: usage: ddim plugins new NAME [DIR] (an npm package name, and the folder to write it to; no other flags)\n');
    expect(readdirSync(state.work).sort()).toEqual([NAME, 'taken']);
  });

  test('writes into an empty folder it is given', async () => {
    const empty = join(state.work, 'empty');
    mkdirSync(empty);
    const made = await ddim(state.work, 'plugins', 'new', '@me/sharpen', 'empty');
    expect(made.exitCode).toBe(0);
    expect(readdirSync(empty).sort()).toEqual(FILES);
    expect(readFileSync(join(empty, 'mode.ts'), 'utf8')).toContain("name: 'sharpen'");
    expect(readdirSync(state.work).filter((name) => name.startsWith('.'))).toEqual([]); // no staging folder left
  });
});

describe('the scaffold template', () => {
  test("asks for the valibot, TypeScript and Bun types the toolkit uses, and a toolkit range its version meets", () => {
    const toolkit = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(TEMPLATE_VERSIONS.valibot).toBe(toolkit.dependencies.valibot);
    expect(TEMPLATE_VERSIONS.typescript).toBe(toolkit.devDependencies.typescript);
    expect(TEMPLATE_VERSIONS.bunTypes).toBe(toolkit.devDependencies['bun-types']);
    expect(Bun.semver.satisfies(toolkit.version, TEMPLATE_VERSIONS.toolkit)).toBe(true);
  });
});
