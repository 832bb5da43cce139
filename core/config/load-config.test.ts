import { describe, expect, test } from 'bun:test';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configFile, messageOf } from '../../test/support/config-files.ts';
import { SEED_CONFIGS, tempDirSync } from '../../test/support/fixtures.ts';
import { loadConfig } from './load-config.ts';
import { parseOverride } from './overrides.ts';

/** The config files of a fixture folder: a README or a subfolder beside them is not a config. */
const yamlFiles = (dir: string) => readdirSync(dir, { withFileTypes: true }).filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name)).map((entry) => entry.name);

describe('loadConfig', () => {
  const seedDir = SEED_CONFIGS;
  test('the original configs are there to load (the fixture folder holds the four of the original code base)', () => {
    expect(yamlFiles(seedDir).sort()).toEqual(['classifier_free_cifar10.yaml', 'ddpm_celebahq.yaml', 'ddpm_cifar10.yaml', 'ddpm_mnist.yaml']);
  });

  test('a README and a subfolder beside the configs are not taken for configs', () => {
    const dir = tempDirSync();
    writeFileSync(join(dir, 'a.yaml'), 'seed: 1\n');
    writeFileSync(join(dir, 'b.yml'), 'seed: 2\n');
    writeFileSync(join(dir, 'README.md'), '# where these came from\n');
    mkdirSync(join(dir, 'old.yaml'));
    expect(yamlFiles(dir).sort()).toEqual(['a.yaml', 'b.yml']);
  });

  for (const file of yamlFiles(seedDir)) {
    test(`loads the original ${file} as it is`, () => {
      const warnings: string[] = [];
      const config = loadConfig(join(seedDir, file), { onWarning: (w) => warnings.push(w) });
      expect(config.data.img_size).toBeGreaterThan(0);
      expect(config.diffusion.params.objective).toBe('pred_eps');
      expect(config.diffusion.params.total_steps).toBeGreaterThan(0);
      expect(config.seed).toBe(2022);
      expect(warnings).toEqual([]);
    });
  }

  test('fills the documented defaults', () => {
    const dir = tempDirSync();
    const config = loadConfig(configFile(dir, 'c.yaml', 'data: {img_size: 32, img_channels: 3}\n'));
    expect(config.diffusion.params).toMatchObject({ total_steps: 1000, beta_schedule: 'linear', skip_type: 'uniform', skip_steps: null, eta: 0, clip_denoised: true });
    expect(config.sampler).toMatchObject({ micro_batch: 500, mode: 'sample', n_interpolate: 16, providers: ['cpu'], save_npy: false });
  });

  test('names the file, the key, what was expected and the nearest valid value', () => {
    const dir = tempDirSync();
    const file = configFile(dir, 'x.yaml', 'data: {img_size: 32, img_channels: 3}\ndiffusion:\n  params:\n    objective: pred_e\n');
    const message = messageOf(() => loadConfig(file));
    expect(message).toContain('x.yaml: diffusion.params.objective: expected one of pred_eps|pred_x0|pred_v, got "pred_e"');
    expect(message).toContain('did you mean "pred_eps"');
  });

  test('suggests the nearest key for a typo in a section the sampler reads', () => {
    const dir = tempDirSync();
    const file = configFile(dir, 'x.yaml', 'data: {img_size: 32, img_channels: 3}\ndiffusion:\n  params:\n    skip_stpes: 10\n');
    const message = messageOf(() => loadConfig(file));
    expect(message).toContain('diffusion.params.skip_stpes: unknown key');
    expect(message).toContain('did you mean "skip_steps"');
  });

  test('reports a missing required key', () => {
    const dir = tempDirSync();
    const message = messageOf(() => loadConfig(configFile(dir, 'x.yaml', 'data: {img_size: 32}\n')));
    expect(message).toContain('x.yaml: data.img_channels: missing required key');
  });

  test('blames the flag that set a bad value', () => {
    const dir = tempDirSync();
    const file = configFile(dir, 'x.yaml', 'data: {img_size: 32, img_channels: 3}\n');
    const message = messageOf(() => loadConfig(file, { overrides: [{ path: 'diffusion.params.eta', value: 2, origin: '--ddim_eta' }] }));
    expect(message).toBe('--ddim_eta: expected eta in [0, 1], got 2');
  });

  test('applies flags over dotted overrides over the file over defaults', () => {
    const dir = tempDirSync();
    const file = configFile(dir, 'x.yaml', 'data: {img_size: 32, img_channels: 3}\ndiffusion: {params: {skip_steps: 10, skip_type: quad}}\nsampler: {micro_batch: 8}\n');
    const config = loadConfig(file, {
      overrides: [parseOverride('diffusion.params.skip_steps=50'), parseOverride('sampler.micro_batch=16'), { path: 'diffusion.params.skip_steps', value: 20, origin: '--skip_steps' }],
    });
    expect(config.diffusion.params.skip_steps).toBe(20);
    expect(config.sampler.micro_batch).toBe(16);
    expect(config.diffusion.params.skip_type).toBe('quad');
    expect(config.sampler.n_interpolate).toBe(16);
  });

  test('composes files with extends, resolving paths against the file that names them', () => {
    const dir = tempDirSync();
    configFile(dir, 'base.yaml', 'seed: 5\ndata: {img_size: 32, img_channels: 1}\nsampler: {weights: nets/model.onnx, micro_batch: 4}\n');
    const child = configFile(dir, 'child.yaml', 'extends: base.yaml\nsampler: {micro_batch: 9}\n');
    const config = loadConfig(child);
    expect(config.seed).toBe(5);
    expect(config.sampler.micro_batch).toBe(9);
    expect(config.sampler.weights).toBe(join(dir, 'nets/model.onnx'));
  });

  test('refuses an extends cycle and a missing parent', () => {
    const dir = tempDirSync();
    configFile(dir, 'a.yaml', 'extends: b.yaml\n');
    configFile(dir, 'b.yaml', 'extends: a.yaml\n');
    expect(messageOf(() => loadConfig(join(dir, 'a.yaml')))).toContain('extends forms a cycle');
    const orphan = configFile(dir, 'c.yaml', 'extends: nowhere.yaml\n');
    expect(messageOf(() => loadConfig(orphan))).toContain('config file not found');
  });

  test('appends list items when an override asks to, as --plugin does', () => {
    const dir = tempDirSync();
    const file = configFile(dir, 'x.yaml', 'data: {img_size: 32, img_channels: 3}\nplugins: [./a.ts]\n');
    const config = loadConfig(file, { cwd: dir, overrides: [{ path: 'plugins', value: ['./b.ts'], origin: '--plugin', append: true }] });
    expect(config.plugins).toEqual([join(dir, 'a.ts'), join(dir, 'b.ts')]);
  });

  test('checks an explicit betas list against total_steps', () => {
    const dir = tempDirSync();
    const file = configFile(dir, 'x.yaml', 'data: {img_size: 32, img_channels: 3}\ndiffusion: {params: {total_steps: 3, betas: [0.1, 0.2]}}\n');
    expect(messageOf(() => loadConfig(file))).toContain('x.yaml: diffusion.params.betas: expected total_steps (3) values, got 2');
  });

  test('reads override values as YAML and rejects malformed overrides', () => {
    expect(parseOverride('sampler.save_npy=true').value).toBe(true);
    expect(parseOverride('diffusion.params.betas=[0.1, 0.2]').value).toEqual([0.1, 0.2]);
    expect(() => parseOverride('no-equals-sign')).toThrow('expected KEY.PATH=VALUE');
  });

  test('warns about an unknown top-level key instead of failing', () => {
    const dir = tempDirSync();
    const warnings: string[] = [];
    loadConfig(configFile(dir, 'x.yaml', 'data: {img_size: 32, img_channels: 3}\nsampelr: {}\n'), { onWarning: (w) => warnings.push(w) });
    expect(warnings).toEqual([expect.stringContaining('ignoring unknown top-level key "sampelr" (did you mean "sampler"?)')]);
  });

  test('refuses an override of a section the sampler never reads, saying what to do instead', () => {
    const override = (text: string) => messageOf(() => loadConfig(undefined, { overrides: [parseOverride(text)] }));
    expect(override('model=other.onnx')).toContain('unknown top-level key "model"');
    expect(override('model=other.onnx')).toContain('--weights FILE or sampler.weights=FILE');
    expect(override('train.batch_size=8')).toContain('a training-only section: the sampler never reads it');
    expect(override('extends=base.yaml')).toContain('extends is read from a config file only');
  });

  test('reports invalid YAML with the file name', () => {
    const dir = tempDirSync();
    expect(messageOf(() => loadConfig(configFile(dir, 'bad.yaml', 'data: [unclosed\n')))).toContain('bad.yaml: not valid YAML');
  });
});
