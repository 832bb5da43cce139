/**
 * `ddim sample` runs plugin code on the main thread, and code that never yields keeps any
 * JavaScript signal handler from running. So the command runs as a child of this small
 * supervisor, which owns the signals: the first SIGINT or SIGTERM is passed on (the child
 * stops after its current step and keeps its finished images), and a child still running
 * STOP_GRACE_MS later is killed. Images are written atomically (temp file + rename), so what
 * is on disk then is whole, and a rerun continues from it.
 */
import { spawn } from 'node:child_process';
import { currentRuntime } from './runtime.ts';

const SUPERVISED_ENV = 'DDIM_SUPERVISED';
/** How long a child may take to stop after a signal; within the 2 s users and orchestrators expect. */
export const STOP_GRACE_MS = 1500;

/**
 * Whether this process should run the command under a supervisor: not when it is the
 * supervised child already, and not under Deno, whose child processes need --allow-run.
 */
export function shouldSupervise(): boolean {
  return process.env[SUPERVISED_ENV] !== '1' && currentRuntime().name !== 'deno';
}

/**
 * In the supervised child: call `stop` when the supervisor is gone (killed with SIGKILL, say),
 * so that an orphan never goes on writing into a folder that a rerun may be using. Returns a
 * function that ends the watch.
 */
export function stopWhenOrphaned(stop: () => void, everyMs = 250): () => void {
  if (process.env[SUPERVISED_ENV] !== '1') return () => {};
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid !== parent) stop();
  }, everyMs);
  timer.unref?.();
  return () => clearInterval(timer);
}

/** Run this same command line as a supervised child; resolves to the exit code to use. */
export function superviseSelf(argv: readonly string[]): Promise<number> {
  const script = process.argv[1]!;
  const child = spawn(process.execPath, [...process.execArgv, script, ...argv], {
    stdio: 'inherit',
    // Under Bun, onnxruntime reads the C environment only: the child must get this from its parent.
    env: { ...process.env, [SUPERVISED_ENV]: '1', ORT_DISABLE_TELEMETRY: process.env.ORT_DISABLE_TELEMETRY ?? '1' },
  });
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  let killed = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (killTimer) return;
    child.kill(signal);
    killTimer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, STOP_GRACE_MS);
  };
  const onInt = () => onSignal('SIGINT');
  const onTerm = () => onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      clearTimeout(killTimer);
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      if (killed) {
        process.stderr.write(
          `\ninterrupted: the run did not stop within ${STOP_GRACE_MS / 1000} s (plugin code that never yields?) and was killed; finished images are kept, rerun the same command to continue\n`,
        );
      }
      resolve(code ?? (signal ? 130 : 1));
    });
    child.on('error', (error) => {
      process.stderr.write(`error: cannot start the sampling process: ${error.message}\n`);
      resolve(1);
    });
  });
}
