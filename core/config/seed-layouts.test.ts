/** Both layouts of the original code base's configs, and its current respace_* names. */
import { describe, expect, test } from 'bun:test';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { configFile, messageOf } from '../../test/support/config-files.ts';
import { SEED_CONFIGS, SEED_CONFIGS_HEAD, tempDirSync } from '../../test/support/fixtures.ts';
import { configFromText, loadConfig } from './load-config.ts';
import { parseOverride } from './overrides.ts';

const base = 'data: {img_size: 32, img_channels: 3}\n';
const fileWith = (text: string) => configFile(tempDirSync(), 'x.yaml', text);

describe('the current layout (data.params.img_size)', () => {
  const files = readdirSync(SEED_CONFIGS_HEAD).filter((f) => f.endsWith('.yaml'));

  test('holds the three DDPM configs', () => {
    expect(files.sort()).toEqual(['ddpm_celebahq.yaml', 'ddpm_cifar10.yaml', 'ddpm_mnist.yaml']);
  });

  for (const file of files) {
    test(`${file} loads with no warnings and reads as the older layout's file does`, () => {
      const warnings: string[] = [];
      const head = loadConfig(join(SEED_CONFIGS_HEAD, file), { onWarning: (w) => warnings.push(w) });
      const old = loadConfig(join(SEED_CONFIGS, file), { onWarning: (w) => warnings.push(w) });
      expect(warnings).toEqual([]);
      expect(head.data.img_size).toBe(old.data.img_size);
      expect(head.data.img_channels).toBe(old.data.img_channels);
      expect(head.diffusion.params).toEqual(old.diffusion.params);
      expect(head.sampler).toEqual(old.sampler);
      expect(head.seed).toBe(old.seed);
    });
  }

  test('an invalid data.params.img_size is named by its own key', () => {
    expect(messageOf(() => loadConfig(fileWith('data: {params: {img_size: 0}, img_channels: 3}\n')))).toContain('x.yaml: data.params.img_size: expected an integer >= 1, got 0');
  });

  test('two different sizes are refused; a missing one names both places', () => {
    expect(messageOf(() => loadConfig(fileWith('data: {img_size: 32, params: {img_size: 64}, img_channels: 3}\n')))).toContain('disagree');
    expect(messageOf(() => loadConfig(fileWith('data: {img_channels: 3}\n')))).toEndWith(
      '/x.yaml: data.img_size: missing required key (data.img_size, or data.params.img_size as the current original code base writes it)',
    );
  });
});

describe('respace_type and respace_steps', () => {
  test('in a file, set the schedule that computes the same timesteps', () => {
    const config = loadConfig(fileWith(`${base}diffusion: {params: {respace_type: quad, respace_steps: 20}}\n`));
    expect(config.diffusion.params.skip_type).toBe('quad-float32');
    expect(config.diffusion.params.skip_steps).toBe(20);
    expect(configFromText(`${base}diffusion: {params: {respace_type: uniform-leading}}\n`).diffusion.params.skip_type).toBe('uniform');
  });

  test('none (or no respace_steps) visits every timestep, as in the original', () => {
    const none = loadConfig(fileWith(`${base}diffusion: {params: {respace_type: none, respace_steps: 20}}\n`));
    expect(none.diffusion.params.skip_steps).toBeNull();
    expect(loadConfig(fileWith(`${base}diffusion: {params: {respace_type: uniform-trailing}}\n`)).diffusion.params.skip_steps).toBeNull();
  });

  test('as flags, win over the file whichever names either one uses', () => {
    const file = fileWith(`${base}diffusion: {params: {skip_type: quad, skip_steps: 10}}\n`);
    const config = loadConfig(file, {
      overrides: [
        { path: 'diffusion.params.respace_type', value: 'uniform-linspace', origin: '--respace_type' },
        parseOverride('diffusion.params.respace_steps=30'),
      ],
    });
    expect(config.diffusion.params.skip_type).toBe('uniform-linspace');
    expect(config.diffusion.params.skip_steps).toBe(30);
  });

  test('an unknown type is one line with the valid ones and the nearest', () => {
    expect(messageOf(() => loadConfig(fileWith(`${base}diffusion: {params: {respace_type: uniform-trailng}}\n`)))).toEndWith(
      '/x.yaml: diffusion.params.respace_type: expected one of uniform|uniform-leading|uniform-linspace|uniform-trailing|quad|none, got "uniform-trailng" (did you mean "uniform-trailing"?)',
    );
    expect(messageOf(() => loadConfig(undefined, { overrides: [{ path: 'diffusion.params.respace_type', value: 'quadd', origin: '--respace_type' }] }))).toContain(
      '--respace_type: expected one of',
    );
    // A value that is no name is described, not printed as [object Object].
    expect(messageOf(() => loadConfig(fileWith(`${base}diffusion: {params: {respace_type: {a: 1}}}\n`)))).toEndWith('|quad|none, got a mapping');
  });

  test('both names in one file are refused', () => {
    expect(messageOf(() => loadConfig(fileWith(`${base}diffusion: {params: {respace_type: quad, skip_type: uniform}}\n`)))).toContain(
      'respace_type and skip_type set the same thing; keep one',
    );
  });
});
