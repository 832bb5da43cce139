/**
 * A diffusion model that lets the event loop run before every call. The web backend runs
 * its WebAssembly on the request thread, so a run of many model calls would otherwise hold
 * the isolate: health checks, other requests and a client's hang-up wait for the whole run.
 */
import type { DiffusionModel } from '../core/model/model.ts';

/**
 * A timer, not setImmediate, MessageChannel or a microtask: Deno runs those three before it
 * polls its sockets, so a run yielding with them still starves the HTTP server (measured:
 * health waited for the whole run), while a timer lets accepted requests and aborts through.
 */
const toEventLoop = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/** @example const model = yieldingModel(await loadWebModel(bytes, options)); */
export function yieldingModel(model: DiffusionModel): DiffusionModel {
  return {
    get info() {
      return model.info;
    },
    async run(x, timesteps, batch, labels) {
      await toEventLoop();
      return model.run(x, timesteps, batch, labels);
    },
    dispose: () => model.dispose(),
  };
}
