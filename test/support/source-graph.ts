/**
 * Reads the tree as `{ path, text }` files and parses each with @babel/parser, so that import-like text
 * in comments and strings is never taken for an import and functions are measured from the AST; plus the
 * graph walks (cycles, longest chain). The rules themselves are spelled out in `test/architecture.test.ts`.
 */
import { parse } from '@babel/parser';
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';

/** A file of the tree, by its path from the repository root (always with `/`). */
export interface SourceFile {
  readonly path: string;
  readonly text: string;
}

export type ImportKind = 'static' | 'type' | 'dynamic';

export interface ImportEdge {
  readonly from: string;
  readonly line: number;
  readonly specifier: string;
  readonly kind: ImportKind;
  /** The repository path it points at: relative imports and the package's own name. */
  readonly target: string | null;
  /** The package a bare specifier names (`hono`, `@hono/node-server`, `node:fs`). */
  readonly pkg: string | null;
}

export interface FunctionSpan { readonly path: string; readonly line: number; readonly name: string; readonly length: number }

export interface ParsedModule {
  readonly path: string;
  readonly lines: number;
  readonly imports: readonly ImportEdge[];
  readonly functions: readonly FunctionSpan[];
}

/** Generated or foreign trees, at the root; `node_modules` and `.git` are skipped at any depth. */
const SKIPPED = new Set(['runs', 'samples', 'out', 'bench/models', 'lib']);

/** Every `*.ts` file of the repository, plus its `package.json` (the package's own name and exports). */
export function readSourceTree(root: string): SourceFile[] {
  const files: SourceFile[] = [{ path: 'package.json', text: readFileSync(join(root, 'package.json'), 'utf8') }];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && entry.name !== '.git' && !SKIPPED.has(path)) walk(path);
      } else if (entry.isFile() && entry.name.endsWith('.ts')) {
        files.push({ path, text: readFileSync(join(root, path), 'utf8') });
      }
    }
  };
  walk('');
  return files.sort((a, b) => a.path.localeCompare(b.path));
}

/** Unit tests beside their code, and everything in a `test/` folder (support, fixtures). */
export const isTestFile = (path: string): boolean => /\.(test|spec)\.ts$|(^|\/)(test|tests|__tests__)\//.test(path);

/** The file or folder `area` (`server` matches `server.ts` and `server/...`). */
export const isIn = (path: string, area: string): boolean => path === `${area}.ts` || path.startsWith(`${area}/`);

const countLines = (text: string): number => (text === '' ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0));

export interface PackageInfo { readonly name: string | null; readonly exports: ReadonlyMap<string, string> }

/** The root package's name and its `exports` map, so `ddim-toolkit/server` resolves to a file. */
export function packageInfo(files: readonly SourceFile[]): PackageInfo {
  const manifest = files.find((file) => file.path === 'package.json');
  if (!manifest) return { name: null, exports: new Map() };
  const json = JSON.parse(manifest.text) as { name?: string; exports?: unknown; main?: string };
  const raw = typeof json.exports === 'string' ? { '.': json.exports } : (json.exports ?? { '.': json.main ?? './index.ts' });
  const exports = new Map<string, string>();
  for (const [subpath, value] of Object.entries(raw as Record<string, unknown>)) {
    const conditions = value as Record<string, unknown>;
    const file = typeof value === 'string' ? value : (conditions.bun ?? conditions.import ?? conditions.default);
    if (typeof file === 'string') exports.set(subpath, posix.normalize(file));
  }
  return { name: json.name ?? null, exports };
}

const packageOf = (specifier: string): string => {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
};

function resolveSpecifier(from: string, specifier: string, own: PackageInfo): Pick<ImportEdge, 'target' | 'pkg'> {
  if (specifier.startsWith('./') || specifier.startsWith('../')) {
    return { target: posix.normalize(posix.join(posix.dirname(from), specifier)), pkg: null };
  }
  if (specifier.startsWith('/') || /^[a-z]+:\/\//.test(specifier)) return { target: null, pkg: null };
  const pkg = packageOf(specifier);
  if (pkg !== own.name) return { target: null, pkg };
  const subpath = `.${specifier.slice(pkg.length)}`;
  return { target: own.exports.get(subpath) ?? null, pkg };
}

type AstNode = { type: string; loc?: { start: { line: number }; end: { line: number } } | null } & Record<string, unknown>;

const isNode = (value: unknown): value is AstNode =>
  typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';

/** Visits every node of the tree, parents first; comments are skipped. */
function visit(node: AstNode, enter: (node: AstNode, parent: AstNode | null) => void, parent: AstNode | null = null): void {
  enter(node, parent);
  for (const [key, value] of Object.entries(node)) {
    if (key === 'loc' || key === 'extra' || key.endsWith('Comments')) continue;
    if (Array.isArray(value)) {
      for (const item of value) if (isNode(item)) visit(item, enter, node);
    } else if (isNode(value)) {
      visit(value, enter, node);
    }
  }
}

/** The text of a string literal or a template without `${}`; null for anything computed. */
function literalText(node: unknown): string | null {
  if (!isNode(node)) return null;
  if (node.type === 'StringLiteral') return node.value as string;
  const quasis = node.quasis as { value: { cooked: string } }[] | undefined;
  if (node.type === 'TemplateLiteral' && (node.expressions as unknown[]).length === 0) return quasis?.[0]?.value.cooked ?? null;
  return null;
}

/** The module a node imports, if it is an import (static, type-only, re-export or dynamic). */
function importOf(node: AstNode): { specifier: string | null; kind: ImportKind } | null {
  const typeOnly = node.importKind === 'type' || node.exportKind === 'type';
  switch (node.type) {
    case 'ImportDeclaration':
    case 'ExportNamedDeclaration':
    case 'ExportAllDeclaration':
      return node.source ? { specifier: literalText(node.source), kind: typeOnly ? 'type' : 'static' } : null;
    case 'ImportExpression':
      return { specifier: literalText(node.source), kind: 'dynamic' };
    case 'TSImportType': // `type T = import('./x.ts').T`; `import x = require()` is not ESM, so tsc rejects it
      return { specifier: literalText(node.source), kind: 'type' };
    default:
      return null;
  }
}

const FUNCTIONS = new Set(['FunctionDeclaration', 'FunctionExpression', 'ArrowFunctionExpression', 'ClassMethod', 'ClassPrivateMethod', 'ObjectMethod']);

function nameOf(node: unknown): string | null {
  if (!isNode(node)) return null;
  if (node.type === 'Identifier') return node.name as string;
  if (node.type === 'PrivateName') return `#${nameOf(node.id) ?? ''}`;
  if (node.type === 'StringLiteral' || node.type === 'NumericLiteral') return String(node.value);
  if (node.type === 'MemberExpression') return `${nameOf(node.object) ?? '?'}.${nameOf(node.property) ?? '?'}`;
  if (node.type === 'CallExpression') return `${nameOf(node.callee) ?? '?'}(...)`;
  return null;
}

/** `describe` blocks group tests: their callbacks are not functions in the sense of the size rule. */
function isDescribeCallback(parent: AstNode | null): boolean {
  if (parent?.type !== 'CallExpression') return false;
  let callee: unknown = parent.callee;
  while (isNode(callee) && (callee.type === 'MemberExpression' || callee.type === 'CallExpression')) {
    callee = callee.type === 'MemberExpression' ? callee.object : callee.callee;
  }
  return nameOf(callee) === 'describe';
}

/** A readable name: the declared name, the key, the variable, or `test('title') callback`. */
function functionName(node: AstNode, parent: AstNode | null): string {
  const own = nameOf(node.id) ?? nameOf(node.key);
  if (own) return own;
  if (parent?.type === 'VariableDeclarator') return nameOf(parent.id) ?? '<anonymous>';
  if (parent && parent.value === node) return nameOf(parent.key) ?? '<anonymous>';
  if (parent?.type === 'AssignmentExpression') return nameOf(parent.left) ?? '<anonymous>';
  if (parent?.type === 'ExportDefaultDeclaration') return 'default';
  if (parent?.type === 'CallExpression' || parent?.type === 'NewExpression') {
    const title = literalText((parent.arguments as unknown[])[0]);
    return `${nameOf(parent.callee) ?? '<call>'}(${title === null ? '' : `'${title}'`}) callback`;
  }
  return '<anonymous>';
}

/** Parses one file; throws a SyntaxError with the position when Babel cannot read it. */
export function parseModule(file: SourceFile, own: PackageInfo): ParsedModule {
  const ast = parse(file.text, { sourceType: 'module', plugins: ['typescript'] });
  const imports: ImportEdge[] = [];
  const functions: FunctionSpan[] = [];
  visit(ast.program as unknown as AstNode, (node, parent) => {
    const line = node.loc?.start.line ?? 0;
    const found = importOf(node);
    if (found?.specifier != null) {
      const edge = { from: file.path, line, specifier: found.specifier, kind: found.kind };
      imports.push({ ...edge, ...resolveSpecifier(file.path, found.specifier, own) });
    }
    const body = node.body;
    if (FUNCTIONS.has(node.type) && isNode(body) && body.type === 'BlockStatement' && !isDescribeCallback(parent)) {
      const length = (node.loc?.end.line ?? line) - line + 1;
      functions.push({ path: file.path, line, name: functionName(node, parent), length });
    }
  });
  return { path: file.path, lines: countLines(file.text), imports, functions };
}

/** Edges between `nodes` only, of the given kinds (all by default). */
export function importGraph(modules: readonly ParsedModule[], nodes: ReadonlySet<string>, kinds?: readonly ImportKind[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const module of modules) {
    if (!nodes.has(module.path)) continue;
    const edges = module.imports.filter((edge) => edge.target && nodes.has(edge.target) && (kinds ?? [edge.kind]).includes(edge.kind));
    const targets = edges.map((edge) => edge.target ?? '');
    graph.set(module.path, [...new Set(targets)].sort());
  }
  return graph;
}

/** Tarjan's strongly connected components; a component of two or more files (or a self-import) is a cycle. */
function components(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const found: string[][] = [];
  const connect = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.size - 1);
    stack.push(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) connect(w);
      if (stack.includes(w)) low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
    }
    if (low.get(v) !== index.get(v)) return;
    const component = stack.splice(stack.indexOf(v));
    found.push(component.sort());
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) connect(v);
  return found;
}

/** The shortest way from `start` back to itself inside one component, as `[start, ..., start]`. */
function shortestCycle(graph: ReadonlyMap<string, readonly string[]>, members: ReadonlySet<string>, start: string): string[] {
  const previous = new Map<string, string>();
  const queue = [start];
  for (const v of queue) {
    for (const w of graph.get(v) ?? []) {
      if (w === start) {
        const back: string[] = [];
        for (let u: string | undefined = v; u !== undefined && u !== start; u = previous.get(u)) back.push(u);
        return [start, ...back.reverse(), start];
      }
      if (members.has(w) && !previous.has(w) && w !== start) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start];
}

/** Every import cycle, one per group of files that import each other, as the shortest loop from its first file. */
export function importCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  return components(graph)
    .filter((group) => group.length > 1 || (graph.get(group[0] ?? '') ?? []).includes(group[0] ?? ''))
    .map((group) => shortestCycle(graph, new Set(group), group[0] ?? ''));
}

/** The longest chain of imports, counting files; edges that would revisit a file of the chain are skipped. */
export function longestChain(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const memo = new Map<string, string[]>();
  const onPath = new Set<string>();
  const chainFrom = (node: string): string[] => {
    const known = memo.get(node);
    if (known) return known;
    onPath.add(node);
    let best: string[] = [];
    for (const next of graph.get(node) ?? []) {
      if (onPath.has(next)) continue;
      const chain = chainFrom(next);
      if (chain.length > best.length && !chain.includes(node)) best = chain;
    }
    onPath.delete(node);
    const chain = [node, ...best];
    memo.set(node, chain);
    return chain;
  };
  let longest: string[] = [];
  for (const node of [...graph.keys()].sort()) {
    const chain = chainFrom(node);
    if (chain.length > longest.length) longest = chain;
  }
  return longest;
}
