#!/usr/bin/env node
// The `ddim` bin, for every runtime. Under Bun it runs the TypeScript sources, the same copy
// that `ddim-toolkit` resolves to there (package.json's "bun" export condition), so a plugin
// package's errors and classes are the CLI's own; under Node and Deno it runs the JavaScript
// compiled into lib/ at pack time (`bun run build`), the copy they import.
import { existsSync } from 'node:fs';

const entry = new URL('Bun' in globalThis ? '../cli.ts' : '../lib/cli.js', import.meta.url);
if (existsSync(entry)) {
  await import(entry.href);
} else {
  process.stderr.write('error: this ddim-toolkit has no lib/ (a clone of the repository): run `bun run build` once, or run ddim with Bun\n');
  process.exitCode = 1;
}
