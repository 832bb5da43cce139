/** A server process started for a test: spawned, its stderr read to the end, its URL once it listens, stopped by signal. */

export interface Served {
  readonly url: string;
  /** The server's process id (to read its memory from /proc). */
  readonly pid: number;
  /** What the server printed on stderr so far. */
  log(): string;
  /** The exit code once the process has ended; null while it runs. */
  exitCode(): number | null;
  /** Send the process a signal (a second SIGTERM while it stops, say). */
  signal(name: NodeJS.Signals): void;
  /** SIGTERM, then the exit code (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<number>;
}

export interface ServeOptions {
  readonly cwd: string;
  readonly env?: Record<string, string | undefined>;
  /** How long to wait for the line. Default 30 s. */
  readonly timeoutMs?: number;
  /** The line that says where it listens, the URL its first group. Default: `ddim serve`'s "listening on URL". */
  readonly listening?: RegExp;
  /** The process is killed after this long whatever happens, so that no server outlives its test run. Default 10 min. */
  readonly lifetimeMs?: number;
}

/**
 * Start a long-running server command and wait until its stderr says where it listens.
 * Its whole log is read to the end, so that the pipe never fills and the server never blocks on it.
 */
export async function serveProcess(command: readonly string[], options: ServeOptions): Promise<Served> {
  const { cwd, env = process.env, timeoutMs = 30_000, listening: pattern = /listening on (http:\/\/\S+)/, lifetimeMs = 600_000 } = options;
  const child = Bun.spawn([...command], { cwd, env, stdout: 'ignore', stderr: 'pipe', timeout: lifetimeMs });
  let log = '';
  let found: (url: string | undefined) => void = () => {};
  const listening = new Promise<string | undefined>((resolve) => (found = resolve));
  void (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of child.stderr) {
      log += decoder.decode(chunk, { stream: true });
      const url = pattern.exec(log)?.[1];
      if (url) found(url);
    }
    found(undefined);
  })();
  const stop = async (graceMs = 15_000): Promise<number> => {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    const code = await child.exited;
    clearTimeout(timer);
    return code;
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(resolve, timeoutMs, undefined)));
  const url = await Promise.race([listening, timeout]);
  clearTimeout(timer);
  if (!url) {
    child.kill('SIGKILL');
    await child.exited;
    throw new Error(`${command.join(' ')} did not say where it listens (${pattern}) within ${timeoutMs} ms:\n${log}`);
  }
  return { url, pid: child.pid, log: () => log, exitCode: () => child.exitCode, signal: (name) => child.kill(name), stop };
}
