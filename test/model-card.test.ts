/**
 * The model card inside an ONNX file: what the shipped model's says, a run without a
 * config from the card alone, config values over the card, and contradictions refused.
 */
import { describe, expect, test } from 'bun:test';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { betaSchedule } from '../core/math/betas.ts';
import { onnxMetadata, readModelCard, withoutModelCard } from '../core/model/model-card.ts';
import { runCli } from './support/cli.ts';
import { DEFAULT_MODEL, ROOT, tempDirSync } from './support/fixtures.ts';
import { buildOnnxModel, concat, varint } from './support/onnx-builder.ts';

const STANDIN = join(ROOT, 'test/fixtures/conditional/standin.onnx');
const STANDIN_CONFIG = join(ROOT, 'test/fixtures/conditional/standin.yaml');

/** A metadata_props entry as protobuf bytes (ModelProto field 14). */
function metadataEntry(key: string, value: string): Uint8Array {
  const text = (field: number, s: string) => {
    const bytes = new TextEncoder().encode(s);
    return concat([varint((field << 3) | 2), varint(bytes.length), bytes]);
  };
  const entry = concat([text(1, key), text(2, value)]);
  return concat([varint((14 << 3) | 2), varint(entry.length), entry]);
}

describe('model cards', () => {
  test('the shipped model carries its config: T, β values, objective, geometry and no classes', () => {
    const card = readModelCard(readFileSync(DEFAULT_MODEL), DEFAULT_MODEL)!;
    expect(card.diffusion).toMatchObject({ total_steps: 1000, beta_schedule: 'linear', beta_start: 0.0001, beta_end: 0.02, objective: 'pred_eps' });
    expect(card.data).toEqual({ img_size: 32, img_channels: 1 });
    expect(card.null_class).toBeUndefined();
    const betas = betaSchedule({ totalSteps: 1000, betaSchedule: 'linear', betaStart: 0.0001, betaEnd: 0.02 });
    expect(card.diffusion.betas!.length).toBe(1000);
    for (let t = 0; t < 1000; t++) expect(Math.abs(card.diffusion.betas![t]! - betas[t]!)).toBeLessThan(1e-15);
  });

  test('the exported stand-in names its classes and null class', () => {
    const card = readModelCard(readFileSync(STANDIN), STANDIN)!;
    expect(card.data.num_classes).toBe(10);
    expect(card.data.class_names![3]).toBe('cat');
    expect(card.null_class).toBe(-1);
  });

  test('metadata appended later wins, and a file without a card has none', () => {
    const graph = buildOnnxModel({ nodes: [], initializers: [], inputs: [], outputs: [] });
    expect(onnxMetadata(graph, 'ddim.card')).toBeUndefined();
    const twice = concat([graph, metadataEntry('ddim.card', 'first'), metadataEntry('other', 'x'), metadataEntry('ddim.card', 'second')]);
    expect(onnxMetadata(twice, 'ddim.card')).toBe('second');
    expect(() => readModelCard(twice, 'm.onnx')).toThrow('model m.onnx: its model card (metadata "ddim.card") is not JSON');
    // The network without its cards: what run fingerprints identify (other metadata stays).
    expect([...withoutModelCard(twice)]).toEqual([...concat([graph, metadataEntry('other', 'x')])]);
  });

  test('a card whose β values are not its named schedule\'s (a config\'s betas list) runs on those values; a named one computes its own', async () => {
    const dir = tempDirSync();
    const card = readModelCard(readFileSync(DEFAULT_MODEL), DEFAULT_MODEL)!;
    const custom = Array.from({ length: 1000 }, (_, t) => 0.0002 + 0.01 * (t / 999) ** 2);
    const model = join(dir, 'custom.onnx');
    writeFileSync(model, concat([readFileSync(DEFAULT_MODEL), metadataEntry('ddim.card', JSON.stringify({ ...card, diffusion: { ...card.diffusion, betas: custom } }))]));
    const named = join(dir, 'named.onnx');
    writeFileSync(named, readFileSync(DEFAULT_MODEL));
    const betasOf = async (weights: string) => {
      const out = join(dir, `out-${weights === model ? 'custom' : 'named'}`);
      const result = await runCli(['sample', '--weights', weights, '--skip_steps', '2', '--n_samples', '1', '--save_dir', out, '--quiet']);
      expect(result.stderr).toBe('');
      return JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')).config.diffusion.params.betas;
    };
    expect(await betasOf(model)).toEqual(custom);
    expect(await betasOf(named)).toBeUndefined();
  });

  test('ddim sample --weights MODEL.onnx needs no config when the file has a card', async () => {
    const out = tempDirSync();
    const result = await runCli(['sample', '--weights', STANDIN, '--class', 'cat', '--guidance_scale', '3', '--skip_steps', '3', '--n_samples', '2', '--save_dir', out, '--quiet']);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    expect(run.config.data).toMatchObject({ img_size: 16, img_channels: 3, num_classes: 10 });
    expect(run.config.model.null_class).toBe(-1);
    expect(existsSync(join(out, '1.png'))).toBe(true);
  });

  test('config values override the card: another objective runs and gives other samples', async () => {
    const [eps, x0] = [tempDirSync(), tempDirSync()];
    const common = ['sample', '-c', STANDIN_CONFIG, '--weights', STANDIN, '--class', '2', '--skip_steps', '3', '--n_samples', '1', '--save_npy', '--quiet'];
    expect((await runCli([...common, '--save_dir', eps])).exitCode).toBe(0);
    expect((await runCli([...common, '--save_dir', x0, 'diffusion.params.objective=pred_x0'])).exitCode).toBe(0);
    expect(readFileSync(join(eps, 'samples.npy')).equals(readFileSync(join(x0, 'samples.npy')))).toBe(false);
  });

  test('a config that contradicts the card (other size, other T, other classes) is one line, exit 2', async () => {
    const cases: [string, string][] = [
      ['data.img_size=32', 'was made for images of 3×16×16 (its model card), but the config says data.img_channels=3, data.img_size=32'],
      ['diffusion.params.total_steps=500', 'was made for a chain of T=1000 steps (its model card), but the config says diffusion.params.total_steps=500'],
      ['data.num_classes=5', 'was made for 10 classes (its model card), but the config says data.num_classes=5'],
    ];
    for (const [override, message] of cases) {
      const result = await runCli(['sample', '-c', STANDIN_CONFIG, '--weights', STANDIN, '--class', '1', override, '--save_dir', tempDirSync(), '--quiet']);
      expect(result.exitCode).toBe(2);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toContain(message);
    }
  });
});
