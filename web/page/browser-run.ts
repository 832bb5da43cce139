/**
 * A run in this browser: the page's side of web/page/browser-worker.ts. One worker for the
 * page's life, so the model is loaded once; runs are told apart by id. A worker that fails
 * (its script does not load, or it throws) is dropped: the next run starts a new one.
 */
import type { RunEvents, RunRequest, RunResult, WorkerReply, WorkerRequest } from './messages.ts';

let worker: Worker | undefined;
let nextId = 1;

function theWorker(): Worker {
  // Beside this script (/playground/), built from a name so that no bundler rewrites it.
  const name = 'browser-worker.js';
  worker ??= new Worker(new URL(name, import.meta.url), { type: 'module', name: 'ddim-browser-run' });
  return worker;
}

/**
 * @example
 * const result = await runInBrowser(request, events, controller.signal);
 */
export function runInBrowser(request: RunRequest, events: RunEvents, signal: AbortSignal): Promise<RunResult> {
  const target = theWorker();
  const id = nextId++;
  const send = (message: WorkerRequest) => target.postMessage(message);
  const cancelFlag = crossOriginIsolated ? new Int32Array(new SharedArrayBuffer(4)) : undefined;
  return new Promise<RunResult>((resolve, reject) => {
    const onCancel = () => {
      if (cancelFlag) Atomics.store(cancelFlag, 0, 1);
      send({ type: 'cancel', id });
    };
    const done = () => {
      target.removeEventListener('message', onMessage);
      target.removeEventListener('error', onError);
      signal.removeEventListener('abort', onCancel);
    };
    const onError = (event: ErrorEvent) => {
      done();
      if (worker === target) worker = undefined;
      target.terminate();
      reject(new Error(`the browser worker failed: ${event.message || 'it could not start (see the console)'}`));
    };
    const onMessage = ({ data }: MessageEvent<WorkerReply>) => {
      if (data.id !== id) return;
      if (data.type === 'note') events.note(data.text);
      else if (data.type === 'accepted') events.accepted(data.count, data.steps);
      else if (data.type === 'progress') events.progress(data.progress);
      else if (data.type === 'preview') events.preview(data.step, data.steps, data.frames.map((pixels) => ({ pixels })));
      else {
        done();
        if (data.type === 'result') resolve(data.result);
        else reject(new Error(data.message));
      }
    };
    target.addEventListener('message', onMessage);
    target.addEventListener('error', onError);
    signal.addEventListener('abort', onCancel, { once: true });
    send({ type: 'run', id, request, cancelFlag });
  });
}
