#!/usr/bin/env node
// The `ddim` bin, for every runtime. Under Bun it runs the TypeScript sources, the same copy
// that `ddim-toolkit` resolves to there (package.json's "bun" export condition), so a plugin
// package's errors and classes are the CLI's own; under Node and Deno it runs the JavaScript
// compiled into lib/ at pack time (`bun run build`), the copy they import.
const entry = 'Bun' in globalThis ? '../cli.ts' : '../lib/cli.js';
try {
  await import(new URL(entry, import.meta.url).href);
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes('lib/cli.js')) throw error;
  process.stderr.write('error: ddim-toolkit has no compiled lib/ here (a clone of the repository): run `bun run build` once, or run ddim with Bun\n');
  process.exitCode = 1;
}
