/**
 * Which JavaScript runtime this process runs under: run.json records it, and `ddim serve`
 * picks its server adapter by it. Reads `process.versions`, which all three fill in, so
 * that no runtime-only global is touched here.
 */
export type RuntimeName = 'bun' | 'deno' | 'node';

export interface Runtime {
  readonly name: RuntimeName;
  readonly version: string;
}

/**
 * @example
 * currentRuntime(); // { name: 'node', version: 'v20.20.2' }
 */
export function currentRuntime(): Runtime {
  const versions = process.versions as NodeJS.ProcessVersions & { bun?: string; deno?: string };
  // Deno and Bun both pretend to be Node in process.version: check them first.
  if ('Bun' in globalThis && versions.bun) return { name: 'bun', version: versions.bun };
  if ('Deno' in globalThis && versions.deno) return { name: 'deno', version: versions.deno };
  return { name: 'node', version: process.version };
}

/** `bun 1.4.5`, `node v20.20.2`, `deno 2.9.6`. */
export function runtimeLabel(runtime: Runtime = currentRuntime()): string {
  return `${runtime.name} ${runtime.version}`;
}
