import { describe, expect, test } from 'bun:test';
import { UserError } from '../core/index.ts';
import { createDefaultRegistry } from './index.ts';

describe('createDefaultRegistry', () => {
  test('holds the built-ins, registered like any other plugins', () => {
    const registry = createDefaultRegistry();
    expect(registry.names('mode')).toEqual(['sample', 'interpolate', 'reconstruction', 'sdedit', 'inpaint', 'ilvr', 'trajectory']);
    expect(registry.names('schedule')).toEqual(['uniform', 'quad', 'linspace', 'trailing', 'uniform-linspace', 'uniform-trailing', 'quad-float32']);
  });

  test('fails on an unknown name with the list of valid ones and a suggestion', () => {
    const registry = createDefaultRegistry();
    expect(() => registry.get('schedule', 'quadd', 'diffusion.params.skip_type')).toThrow(
      'diffusion.params.skip_type: unknown schedule "quadd". Must be one of [uniform, quad, linspace, trailing, uniform-linspace, uniform-trailing, quad-float32] (did you mean "quad"?)',
    );
    expect(() => registry.get('mode', 'sampel')).toThrow(UserError);
  });

});
