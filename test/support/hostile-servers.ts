/** The service under each adapter, as a process a hostile test can start and watch: `ddim serve` on Bun, Node and Deno, and the Workers-style handler under `deno serve`. */
import { join } from 'node:path';
import { DENO, cliCommand } from './cli.ts';
import { ROOT } from './paths.ts';
import { type Served, serveProcess } from './serve-process.ts';

export type AdapterName = 'bun' | 'node' | 'deno' | 'workers';
export const ADAPTERS: readonly AdapterName[] = ['bun', 'node', 'deno', 'workers'];

const DENO_PERMISSIONS = ['--allow-read', '--allow-env', '--allow-ffi', '--allow-net=127.0.0.1'];

/** Start the service under `adapter` with `overrides` (key.path=value) of the shipped config, and bearer auth with `token`. */
export function startAdapter(adapter: AdapterName, overrides: readonly string[], token?: string, lifetimeMs = 300_000): Promise<Served> {
  const env = { ...process.env, NO_COLOR: '1', DDIM_TEST_OVERRIDES: overrides.join(' '), DDIM_TEST_TOKEN: token ?? '' };
  if (token && adapter !== 'workers') overrides = [...overrides, 'server.auth_token_env=DDIM_TEST_TOKEN'];
  if (adapter === 'workers') {
    const entry = join(ROOT, 'test/support/workers-entry.ts');
    const command = [DENO, 'serve', '--no-prompt', ...DENO_PERMISSIONS, '--host', '127.0.0.1', '--port', '0', entry];
    return serveProcess(command, { cwd: ROOT, env, listening: /Listening on (http:\/\/127\.0\.0\.1:\d+)/, lifetimeMs, timeoutMs: 60_000 });
  }
  const command = [...cliCommand(adapter, DENO_PERMISSIONS), 'serve', '--port', '0', '--host', '127.0.0.1', '--quiet', ...overrides];
  return serveProcess(command, { cwd: ROOT, env, lifetimeMs, timeoutMs: 60_000 });
}
