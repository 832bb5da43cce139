/**
 * A diffusion model that lets the event loop run before every call, for a run that no step
 * scheduler drives: the browser worker's. The web backend runs its WebAssembly on the
 * calling thread, so without a turn between calls a page's cancel message waits for the
 * whole run (a page without shared memory has no other way to cancel). The server needs no
 * wrapper: its scheduler's pump yields before every model call (core/model/step-scheduler.ts).
 */
import type { DiffusionModel } from '../core/model/model.ts';

/**
 * A timer, not setImmediate, MessageChannel or a microtask: Deno runs those three before it
 * polls its sockets, so a run yielding with them still starves the HTTP server (measured:
 * health waited for the whole run), while a timer lets accepted requests and aborts through.
 */
const toEventLoop = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/** @example await pipeline.execute(prepared, { sink, model: yieldingModel(pipeline.model) }); */
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
