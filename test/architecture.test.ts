/**
 * The layout of STYLE.md, checked on the files on disk: data flows one way (fronts -> core -> a plugin
 * through the public API), nothing imports in a circle, files and functions stay small. Each rule is a
 * function of `{ path, text }[]`, and the self-check at the end runs every one of them on a small fake
 * tree to show that it can fail.
 */
import { describe, expect, test } from 'bun:test';
import { resolve } from 'node:path';
import {
  type ImportEdge,
  type ParsedModule,
  type SourceFile,
  importCycles,
  importGraph,
  isIn,
  isTestFile,
  longestChain,
  packageInfo,
  parseModule,
  readSourceTree,
} from './support/source-graph.ts';

const ROOT = resolve(import.meta.dir, '..');
const MAX_FILE_LINES = 300;
const MAX_FUNCTION_LINES = 80;
/** The longest chain of imports, in files. The old tree had 13; lower it as the layout settles. */
const MAX_IMPORT_DEPTH = 11;
/** Files that may pass MAX_FILE_LINES, each with the reason: data tables only. */
const ALLOWED_LONG: Readonly<Record<string, string>> = {};

/** A plugin is any file in one folder of plugins/modes/ or plugins/schedules/ (plugins/index.ts wires them). */
const PLUGIN_FOLDER = /^plugins\/(?:modes|schedules)\/[^/]+\//;
const PUBLIC_API = new Set(['core/plugin-api.ts', 'core/index.ts']);
const HTTP_STACK = /^(?:hono|@hono\/.+)$/;

interface Tree {
  readonly modules: readonly ParsedModule[];
  readonly parseErrors: readonly string[];
}

const trees = new WeakMap<readonly SourceFile[], Tree>();

function parseTree(files: readonly SourceFile[]): Tree {
  const known = trees.get(files);
  if (known) return known;
  const own = packageInfo(files);
  const modules: ParsedModule[] = [];
  const parseErrors: string[] = [];
  for (const file of files.filter((f) => f.path.endsWith('.ts'))) {
    try {
      modules.push(parseModule(file, own));
    } catch (error) {
      parseErrors.push(`${file.path}: ${(error as Error).message}`);
    }
  }
  const tree = { modules, parseErrors };
  trees.set(files, tree);
  return tree;
}

const sources = (files: readonly SourceFile[]): ParsedModule[] =>
  parseTree(files).modules.filter((module) => !isTestFile(module.path));

const describeImport = (edge: ImportEdge): string => {
  const what = edge.target ?? `package ${edge.specifier}`;
  return `${edge.from}:${edge.line} imports ${what}${edge.kind === 'static' ? '' : ` (${edge.kind})`}`;
};

/** Rule 1: core imports only core files and packages, and no package of the HTTP stack. */
function coreViolations(files: readonly SourceFile[]): string[] {
  const edges = sources(files).filter((m) => isIn(m.path, 'core')).flatMap((m) => m.imports);
  const outside = edges.filter((edge) => edge.target !== null && !edge.target.startsWith('core/'));
  const http = edges.filter((edge) => edge.target === null && edge.pkg !== null && HTTP_STACK.test(edge.pkg));
  return [...outside, ...http].map(describeImport).sort();
}

/** Rule 2: no import cycle among the non-test files. */
function cycleViolations(files: readonly SourceFile[]): string[] {
  const modules = sources(files);
  const graph = importGraph(modules, new Set(modules.map((m) => m.path)));
  return importCycles(graph).map((cycle) => cycle.join(' -> '));
}

/** Rule 3: a plugin imports the public API (or the bare package name), packages and its own folder. */
function pluginViolations(files: readonly SourceFile[]): string[] {
  const violations: string[] = [];
  for (const module of sources(files)) {
    const folder = PLUGIN_FOLDER.exec(module.path)?.[0];
    if (folder === undefined) continue;
    for (const edge of module.imports) {
      if (edge.target === null) continue; // another package
      const ownPackage = edge.pkg !== null && edge.specifier === edge.pkg;
      if (ownPackage || PUBLIC_API.has(edge.target) || edge.target.startsWith(folder)) continue;
      violations.push(describeImport(edge));
    }
  }
  return violations.sort();
}

/** Rule 4: the server does not import the CLI; only core/model/ owns the ONNX runtime. */
function boundaryViolations(files: readonly SourceFile[]): string[] {
  const edges = sources(files).flatMap((m) => m.imports);
  const serverToCli = edges.filter((e) => isIn(e.from, 'server') && e.target !== null && isIn(e.target, 'cli'));
  const runtime = edges.filter(
    (e) => isIn(e.from, 'core') && !e.from.startsWith('core/model/') && e.pkg?.startsWith('onnxruntime-') === true,
  );
  return [...serverToCli, ...runtime].map(describeImport).sort();
}

/** Rule 5: files (tests included) and functions stay short. */
function fileSizeViolations(files: readonly SourceFile[], allowedLong = ALLOWED_LONG): string[] {
  return parseTree(files)
    .modules.filter((m) => m.lines > MAX_FILE_LINES && allowedLong[m.path] === undefined)
    .map((m) => `${m.path}: ${m.lines} lines`);
}

function functionSizeViolations(files: readonly SourceFile[]): string[] {
  return parseTree(files)
    .modules.flatMap((m) => m.functions)
    .filter((f) => f.length > MAX_FUNCTION_LINES)
    .map((f) => `${f.path}:${f.line} ${f.name}: ${f.length} lines`);
}

/** Rule 6: the longest chain of imports among non-test files, and the size of the tree. */
function treeStats(files: readonly SourceFile[]) {
  const { modules } = parseTree(files);
  const nonTest = sources(files);
  const nodes = new Set(nonTest.map((m) => m.path));
  const chain = longestChain(importGraph(nonTest, nodes));
  const runtimeDepth = longestChain(importGraph(nonTest, nodes, ['static', 'dynamic'])).length;
  const lines = modules.reduce((sum, m) => sum + m.lines, 0);
  return { chain, runtimeDepth, files: modules.length, lines, sources: nonTest.length };
}

describe('the source tree', () => {
  const files = readSourceTree(ROOT);

  test('parses as TypeScript, file by file', () => {
    expect(parseTree(files).parseErrors).toEqual([]);
  });

  test('core imports only core files and npm packages, and nothing of the HTTP stack', () => {
    expect(coreViolations(files)).toEqual([]);
  });

  test('has no import cycle', () => {
    expect(cycleViolations(files)).toEqual([]);
  });

  test('plugins import only the public plugin API, packages and their own folder', () => {
    expect(pluginViolations(files)).toEqual([]);
  });

  test('the server imports nothing of the CLI, and only core/model/ imports onnxruntime', () => {
    expect(boundaryViolations(files)).toEqual([]);
  });

  test(`has no file over ${MAX_FILE_LINES} lines`, () => {
    expect(fileSizeViolations(files)).toEqual([]);
  });

  test(`has no function over ${MAX_FUNCTION_LINES} lines`, () => {
    expect(functionSizeViolations(files)).toEqual([]);
  });

  test(`imports at most ${MAX_IMPORT_DEPTH} files deep`, () => {
    const stats = treeStats(files);
    console.log(
      `architecture: ${stats.files} .ts files (${stats.sources} non-test), ${stats.lines} lines; ` +
        `import depth ${stats.chain.length} (${stats.runtimeDepth} without type-only imports): ${stats.chain.join(' -> ')}`,
    );
    expect(stats.chain.length).toBeLessThanOrEqual(MAX_IMPORT_DEPTH);
  });
});

/** A function of exactly `length` lines. */
const fn = (name: string, length: number): string =>
  [`export function ${name}() {`, ...Array.from({ length: length - 2 }, (_, i) => `  const v${i} = ${i};`), '}'].join('\n');

const FAKE: SourceFile[] = [
  { path: 'package.json', text: JSON.stringify({ name: 'ddim-toolkit', exports: { '.': './index.ts', './server': './server.ts' } }) },
  { path: 'index.ts', text: "export * from './core/index.ts';\n" },
  { path: 'server.ts', text: "import type { Plugin } from './core/plugin-api.ts';\nexport const app: Plugin[] = [];\n" },
  { path: 'core/index.ts', text: "export * from './plugin-api.ts';\nexport { run } from './pipeline.ts';\n" },
  { path: 'core/plugin-api.ts', text: 'export type Plugin = { name: string };\n' },
  {
    path: 'core/pipeline.ts',
    text: [
      "/** Serve it with `import { createApp } from './server.ts'`. */",
      "// import { main } from '../cli.ts';",
      "import { Hono } from 'hono';",
      "import { app } from '../server.ts';",
      "import type { Server } from 'ddim-toolkit/server';",
      `const hint = "import { fid } from '../eval/fid.ts'";`,
      'export const run = async (name: string) => [await import(name), await import(`../eval/fid.ts`), Hono, app, hint];',
    ].join('\n'),
  },
  { path: 'core/pipeline.test.ts', text: "import { app } from '../server.ts';\n" },
  { path: 'core/model/onnx.ts', text: "import * as ort from 'onnxruntime-node';\nexport { ort };\n" },
  { path: 'core/noise.ts', text: "import * as ort from 'onnxruntime-web';\nexport { ort };\n" },
  { path: 'cli/a.ts', text: "import { b } from './b.ts';\nexport const a = () => b;\n" },
  { path: 'cli/b.ts', text: "export const b = async () => (await import('./a.ts')).a;\n" },
  { path: 'server/routes.ts', text: "import { a } from '../cli/a.ts';\nexport const routes = a;\n" },
  { path: 'plugins/index.ts', text: "import { Registry } from '../core/index.ts';\nimport { fast } from './modes/fast/index.ts';\n" },
  {
    path: 'plugins/modes/fast/index.ts',
    text: [
      "import type { Plugin } from '../../../core/plugin-api.ts';",
      "import * as v from 'valibot';",
      "import { helper } from './helper.ts';",
      "import { quad } from '../../schedules/quad/index.ts';",
      "import { Registry } from '../../../core/registry.ts';",
      "import { run } from 'ddim-toolkit';",
      "import { app } from 'ddim-toolkit/server';",
    ].join('\n'),
  },
  { path: 'plugins/modes/fast/helper.ts', text: 'export const helper = 1;\n' },
  { path: 'plugins/schedules/quad/index.ts', text: `${fn('quad', 81)}\n${fn('short', 80)}\n` },
  {
    path: 'test/long.test.ts',
    text: `describe('a group', () => {\n  test('works', () => {\n${'    expect(1).toBe(1);\n'.repeat(79)}  });\n});\n`,
  },
  { path: 'tools/big.ts', text: Array.from({ length: 301 }, (_, i) => `export const x${i} = ${i};\n`).join('') },
];

describe('the architecture checks, on a fake tree', () => {
  test('parse every file', () => {
    expect(parseTree(FAKE).parseErrors).toEqual([]);
  });

  test('find core importing a front, eval or the HTTP stack, but not through comments, strings or computed imports', () => {
    expect(coreViolations(FAKE)).toEqual([
      'core/pipeline.ts:3 imports package hono',
      'core/pipeline.ts:4 imports server.ts',
      'core/pipeline.ts:5 imports server.ts (type)',
      'core/pipeline.ts:7 imports eval/fid.ts (dynamic)',
    ]);
  });

  test('report a cycle as the path around it, dynamic imports included', () => {
    expect(cycleViolations(FAKE)).toEqual(['cli/a.ts -> cli/b.ts -> cli/a.ts']);
  });

  test('find a plugin importing another plugin, core internals or a subpath of the package', () => {
    expect(pluginViolations(FAKE)).toEqual([
      'plugins/modes/fast/index.ts:4 imports plugins/schedules/quad/index.ts',
      'plugins/modes/fast/index.ts:5 imports core/registry.ts',
      'plugins/modes/fast/index.ts:7 imports server.ts',
    ]);
  });

  test('find the server importing the CLI and onnxruntime outside core/model/', () => {
    expect(boundaryViolations(FAKE)).toEqual(['core/noise.ts:1 imports package onnxruntime-web', 'server/routes.ts:1 imports cli/a.ts']);
  });

  test('find long files and long functions, tests included, but not describe blocks', () => {
    expect(fileSizeViolations(FAKE)).toEqual(['tools/big.ts: 301 lines']);
    expect(fileSizeViolations(FAKE, { 'tools/big.ts': 'a data table' })).toEqual([]);
    expect(functionSizeViolations(FAKE)).toEqual([
      'plugins/schedules/quad/index.ts:1 quad: 81 lines',
      "test/long.test.ts:2 test('works') callback: 81 lines",
    ]);
  });

  test('measure the depth in files, through the package name', () => {
    expect(treeStats(FAKE).runtimeDepth).toBe(6); // server.ts imports core/plugin-api.ts as a type only
    expect(treeStats(FAKE).chain).toEqual([
      'plugins/index.ts',
      'plugins/modes/fast/index.ts',
      'index.ts',
      'core/index.ts',
      'core/pipeline.ts',
      'server.ts',
      'core/plugin-api.ts',
    ]);
  });
});
