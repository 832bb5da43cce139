/**
 * A secret or variable of the edge runtime: a Workers binding (the `env` its fetch handler
 * receives) or, under Deno (Deno Deploy, `deno serve`), an environment variable the process
 * may read. Without `--allow-env` for the name Deno cannot read it, and it counts as unset.
 */
interface DenoEnvAccess {
  readonly env: { get(name: string): string | undefined };
  readonly permissions: { querySync(descriptor: { name: 'env'; variable: string }): { state: string } };
}

/** @example const token = bindingValue('DDIM_TOKEN', env); // undefined or '' : not set */
export function bindingValue(name: string, env: unknown): string | undefined {
  if (typeof env === 'object' && env !== null && Object.hasOwn(env, name)) {
    const value = (env as Record<string, unknown>)[name];
    return typeof value === 'string' ? value : undefined;
  }
  const deno = (globalThis as { Deno?: DenoEnvAccess }).Deno;
  if (deno?.permissions.querySync({ name: 'env', variable: name }).state !== 'granted') return undefined;
  return deno.env.get(name);
}
