/**
 * The edge build refuses a native addon imported directly, by the import itself. The
 * packages here are stubs of plain JavaScript written into a temp dir, so that nothing but
 * the import's name can trigger the refusal: the real sharp would be refused through its own
 * `node:` imports even by a scan that knew only Node built-ins.
 */
import { beforeAll, describe, expect, test } from 'bun:test';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildEdge } from '../edge/build.ts';
import { tempDirSync } from './support/fixtures.ts';

const STUB = 'export default { version: "stub" };\n';
let project = '';

/** A package of plain JavaScript under project/node_modules/name. */
function stubPackage(name: string, main = 'index.js'): void {
  const dir = join(project, 'node_modules', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '0.0.0', type: 'module', main }));
  writeFileSync(join(dir, main), STUB);
}

/** An entry module importing `specifier`, as a Workers-style fetch handler. */
function entry(name: string, specifier: string): string {
  const file = join(project, `${name}.ts`);
  writeFileSync(file, `import addon from ${JSON.stringify(specifier)};\nexport default { fetch: () => new Response(String(addon)) };\n`);
  return file;
}

beforeAll(() => {
  project = tempDirSync('ddim-edge-native-');
  for (const name of ['sharp', 'onnxruntime-node', '@img/sharp-linux-x64', 'plain-js']) stubPackage(name);
  writeFileSync(join(project, 'addon.node'), STUB);
});

describe('the edge build and native addons', () => {
  test('a stub package of plain JavaScript builds: the stubs below are refused for their names alone', async () => {
    const build = await buildEdge({ outdir: tempDirSync('ddim-edge-native-out-'), entry: entry('plain', 'plain-js') });
    expect(build.entry).toEndWith('worker.js');
  });

  const direct: [label: string, specifier: string][] = [
    ['sharp', 'sharp'],
    ['onnxruntime-node', 'onnxruntime-node'],
    ["sharp's platform package", '@img/sharp-linux-x64'],
    ['a compiled .node addon', './addon.node'],
  ];
  for (const [label, specifier] of direct) {
    test(`refuses ${label} imported directly (no node: import behind it), naming the importer and the import`, async () => {
      const file = entry(label.replace(/\W+/g, '-'), specifier);
      const escaped = `${file} imports ${specifier}`.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      await expect(buildEdge({ outdir: tempDirSync('ddim-edge-native-out-'), entry: file })).rejects.toThrow(
        new RegExp(`may not import Node built-ins or native addons:\\s+${escaped}`),
      );
    });
  }
});
