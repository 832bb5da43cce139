/**
 * `bun edge/deno-binary.ts`: prints the path of the real Deno executable of the `deno`
 * devDependency, for `bun run serve:edge` to exec. Its node_modules/.bin/deno is a Node
 * wrapper that runs Deno as a child and does not pass SIGTERM on (the child outlives it), and
 * Bun skips the package's postinstall that would put the executable in place: the package's
 * own installer does that here, from the platform package npm already installed (no download).
 */
import { createRequire } from 'node:module';

interface DenoInstaller {
  runInstall(): string;
}

try {
  const installer = createRequire(import.meta.url)('deno/install_api.cjs') as DenoInstaller;
  console.log(installer.runInstall());
} catch (error) {
  console.error(`error: cannot find the Deno executable of the deno devDependency (run bun install): ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  process.exit(2);
}
