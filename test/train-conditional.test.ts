/**
 * The class-conditional Fashion-MNIST recipe: models/ddpm_fashion_mnist_cond.yaml loads as a
 * toolkit config, and tools/train_ddpm.py trains from it a network that tools/export_onnx.py
 * exports as (x, t, y) with the config's class names, which `ddim sample --class` samples.
 * The training part needs Debian's PyTorch and the Fashion-MNIST files; skipped without them.
 */
import { describe, expect, setDefaultTimeout, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../index.ts';
import { loadOnnxModel } from '../core/model/backends.ts';
import { readModelCard } from '../core/model/model-card.ts';
import { ROOT, tempDirSync } from './support/fixtures.ts';

const CONFIG = join(ROOT, 'models/ddpm_fashion_mnist_cond.yaml');
const PYTHON = '/usr/bin/python3';
const FASHION_MNIST = '/usr/share/datasets/fashion-mnist';
const CLASS_NAMES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
const canTrain =
  spawnSync(PYTHON, ['-c', 'import torch, onnx, yaml'], { stdio: 'ignore' }).status === 0 &&
  existsSync(join(FASHION_MNIST, 'train-labels-idx1-ubyte.gz'));

// Python starts, loads 60k images and exports on 2 shared cores: bun's 5 s default is too tight.
setDefaultTimeout(300_000);

function python(args: string[]) {
  const result = spawnSync(PYTHON, args, { cwd: join(ROOT, 'tools'), encoding: 'utf8', timeout: 300_000 });
  // Status and stderr together, so a failing run shows its traceback.
  expect({ status: result.status, stderr: result.status === 0 ? '' : result.stderr }).toEqual({ status: 0, stderr: '' });
  return result.stdout;
}

describe('models/ddpm_fashion_mnist_cond.yaml', () => {
  test('loads without warnings, with the original classifier-free recipe', () => {
    const warnings: string[] = [];
    const config = loadConfig(CONFIG, { onWarning: (w) => warnings.push(w) });
    expect(warnings).toEqual([]);
    expect(config.data).toMatchObject({ img_size: 32, img_channels: 1, num_classes: 10, class_names: CLASS_NAMES });
    expect(config.diffusion.params).toMatchObject({ total_steps: 1000, beta_schedule: 'linear', beta_start: 0.0001, beta_end: 0.02, objective: 'pred_eps' });
    const raw = config as unknown as { model: { params: { num_classes: number } }; train: { p_uncond: number } };
    expect(raw.model.params.num_classes).toBe(10);
    expect(raw.train.p_uncond).toBe(0.2);
  });
});

if (!canTrain) console.log('skipped: training needs Debian\'s PyTorch and Fashion-MNIST (apt-get install python3-torch python3-onnx dataset-fashion-mnist)');

describe.skipIf(!canTrain)('tools/train_ddpm.py with a class-conditional config', () => {
  test('trains, resumes, exports (x, t, y) with the class names, and samples a class', async () => {
    const dir = tempDirSync();
    const ckpt = join(dir, 'ckpt');
    const common = ['train_ddpm.py', '-c', CONFIG, '--ckpt-dir', ckpt, '--batch-size', '8', '--threads', '1'];
    expect(python([...common, '--max-steps', '2'])).toContain('step 2: saved');
    expect(python([...common, '--max-steps', '3'])).toContain(`resumed from ${ckpt} at step 2`);

    const onnx = join(dir, 'cond.onnx');
    expect(python(['export_onnx.py', '-c', CONFIG, '--weights', join(ckpt, 'ema.pt'), '--out', onnx])).toContain('conditional (x, t, y)');
    const card = readModelCard(readFileSync(onnx), onnx)!;
    expect(card.data).toMatchObject({ num_classes: 10, class_names: CLASS_NAMES, img_size: 32, img_channels: 1 });
    expect(card.null_class).toBe(-1);

    // The label reaches the network: one input, the class "Sneaker" and no class, two outputs.
    const model = await loadOnnxModel(onnx);
    const x = new Float32Array(2 * 32 * 32).map((_, i) => Math.sin(i));
    const out = (await model.run(x, [500, 500], 2, [7, -1])).slice();
    await model.dispose();
    const half = out.length / 2;
    let diff = 0;
    for (let i = 0; i < half; i++) diff = Math.max(diff, Math.abs(out[i]! - out[half + i]!));
    expect(out.every(Number.isFinite)).toBe(true);
    expect(diff).toBeGreaterThan(1e-4);

    const samples = join(dir, 'samples');
    const cli = ['cli.ts', 'sample', '--weights', onnx, '--class', 'Sneaker', '--guidance_scale', '3', '--n_samples', '2', '--skip_steps', '10', '--save_dir', samples];
    const sampled = spawnSync('bun', cli, { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect({ status: sampled.status, stderr: sampled.status === 0 ? '' : sampled.stderr }).toEqual({ status: 0, stderr: '' });
    expect(sampled.stderr).toContain('wrote 2 sample result(s)');
    expect(readdirSync(samples).filter((f) => f.endsWith('.png')).sort()).toEqual(['0.png', '1.png']);
  });
});
