/**
 * tools/export_onnx.py on a network of the original's conditional shape (the stand-in of
 * tools/cond_standin.py, checkpoint in the original's {'ema': {'shadow': …}} layout): the
 * ONNX file takes (x, t, y), its y = −1 output is PyTorch's y=None, it carries the model
 * card, and a network that uses its class embedding other than by adding it is refused.
 * Needs Debian's PyTorch and onnx (/usr/bin/python3); skipped without them.
 */
import { describe, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseNpy } from '../core/io/npy.ts';
import { loadOnnxModel } from '../core/model/backends.ts';
import { readModelCard } from '../core/model/model-card.ts';
import { ROOT, tempDirSync } from './support/fixtures.ts';

const PYTHON = '/usr/bin/python3';
const FIXTURES = join(ROOT, 'test/fixtures/conditional');
const TOOLS = join(ROOT, 'tools');
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch, onnx, yaml'], { stdio: 'ignore' }).status === 0;
if (!hasTorch) console.log(`skipped: ${PYTHON} with torch, onnx and yaml is needed (apt-get install python3-torch python3-onnx python3-yaml)`);

function exportOnnx(config: string, out: string, codeRoot = TOOLS) {
  return spawnSync(PYTHON, [join(TOOLS, 'export_onnx.py'), '-c', config, '--weights', join(FIXTURES, 'standin.pt'), '--out', out, '--code-root', codeRoot], {
    encoding: 'utf8',
    timeout: 300_000,
  });
}

describe.skipIf(!hasTorch)('tools/export_onnx.py with a conditional network', () => {
  test('exports (x, t, y) whose y = -1 is the network\'s y=None, with a model card', async () => {
    const out = join(tempDirSync(), 'cond.onnx');
    const result = exportOnnx(join(FIXTURES, 'standin.yaml'), out);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('conditional (x, t, y)');
    const card = readModelCard(readFileSync(out), out)!;
    expect(card.data).toMatchObject({ num_classes: 10, img_size: 16, img_channels: 3 });
    expect(card.null_class).toBe(-1);
    const model = await loadOnnxModel(out);
    const x = parseNpy(readFileSync(join(FIXTURES, 'standin_probe.npy')));
    const expected = parseNpy(readFileSync(join(FIXTURES, 'standin_uncond.npy')));
    const { t } = JSON.parse(readFileSync(join(FIXTURES, 'standin_probe.json'), 'utf8')) as { t: number[] };
    const uncond = (await model.run(x.data, t, t.length, [-1, -1, -1, -1])).slice();
    await model.dispose();
    let max = 0;
    for (let i = 0; i < uncond.length; i++) max = Math.max(max, Math.abs(uncond[i]! - expected.data[i]!));
    expect(max).toBeLessThan(1e-5);
  });

  test('refuses a network whose output for the masked class is not its y=None output', () => {
    const dir = tempDirSync();
    writeFileSync(
      join(dir, 'shifted.py'),
      [
        'import sys',
        `sys.path.insert(0, ${JSON.stringify(TOOLS)})`,
        'from cond_standin import CondStandIn',
        'class Shifted(CondStandIn):',
        '    def forward(self, X, T, y=None):',
        '        out = super().forward(X, T, y)',
        '        return out if y is None else out + 1',
        '',
      ].join('\n'),
    );
    const config = readFileSync(join(FIXTURES, 'standin.yaml'), 'utf8').replace('cond_standin.CondStandIn', 'shifted.Shifted');
    writeFileSync(join(dir, 'shifted.yaml'), config);
    const result = exportOnnx(join(dir, 'shifted.yaml'), join(dir, 'out.onnx'), dir);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('the output for y=-1 differs from y=None');
  });
});
