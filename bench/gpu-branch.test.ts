import { describe, expect, test } from 'bun:test';
import { PROVIDER_TOLERANCE, gpuBranchProblems } from './gpu-branch.ts';

const cpu = Float32Array.from([0.5, -0.25, 1]);

describe('gpuBranchProblems (the GPU branch of the execution-provider tests)', () => {
  test('passes a run on webgpu, with no warning, within the tolerance of the CPU run', () => {
    const samples = cpu.map((v) => v + PROVIDER_TOLERANCE / 2);
    expect(gpuBranchProblems({ providers: ['webgpu'], warnings: [], samples }, cpu)).toEqual([]);
  });

  test('fails a fallback, a warning, numbers past the tolerance and a different sample count', () => {
    expect(gpuBranchProblems({ providers: ['cpu'], warnings: ['execution provider "webgpu" is not available; using cpu'] })).toEqual([
      'ran on cpu, not webgpu',
      'warned: execution provider "webgpu" is not available; using cpu',
    ]);
    const far = cpu.map((v, i) => (i === 1 ? v + 2 * PROVIDER_TOLERANCE : v));
    expect(gpuBranchProblems({ providers: ['webgpu'], warnings: [], samples: far }, cpu)).toHaveLength(1);
    expect(gpuBranchProblems({ providers: ['webgpu'], warnings: [], samples: cpu.subarray(1) }, cpu)).toEqual([`max |webgpu − cpu| Infinity is over ${PROVIDER_TOLERANCE}`]);
    expect(gpuBranchProblems({ providers: ['webgpu'], warnings: [], samples: Float32Array.from([Number.NaN, 0, 1]) }, cpu)).toHaveLength(1);
  });
});
