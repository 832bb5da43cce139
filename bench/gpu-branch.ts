/**
 * What a run that asked for WebGPU must show where a GPU answers: it ran on webgpu, said
 * nothing about falling back, and computed the CPU run's numbers to the providers' limit.
 * test/execution-providers.test.ts takes this branch only on a machine with a GPU (and says
 * which branch it took); bench/gpu-check.ts runs it on a lent GPU machine, where it must pass.
 */

/** The native backend's limit for the same run on another provider (test/parity.test.ts). */
export const PROVIDER_TOLERANCE = 2.5e-4;

export interface ProviderRun {
  /** The providers the run recorded (run.json's model.providers, or model.info.providers). */
  readonly providers: readonly string[];
  /** Its warnings about execution providers. */
  readonly warnings: readonly string[];
  /** Its samples, when they are to be compared with the CPU run's. */
  readonly samples?: Float32Array;
}

/** Largest |a − b| over two equally long arrays; Infinity when their lengths differ. */
export function maxAbsDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

/** What is wrong with a WebGPU run on a machine whose GPU answers; empty when nothing is. */
export function gpuBranchProblems(run: ProviderRun, cpuSamples?: Float32Array): string[] {
  const problems: string[] = [];
  if (run.providers.length !== 1 || run.providers[0] !== 'webgpu') problems.push(`ran on ${run.providers.join(', ') || 'nothing'}, not webgpu`);
  if (run.warnings.length > 0) problems.push(`warned: ${run.warnings.join(' | ')}`);
  if (run.samples && cpuSamples) {
    const diff = maxAbsDifference(run.samples, cpuSamples);
    if (!(diff <= PROVIDER_TOLERANCE)) problems.push(`max |webgpu − cpu| ${diff} is over ${PROVIDER_TOLERANCE}`);
  }
  return problems;
}
