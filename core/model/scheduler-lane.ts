/**
 * One request's view of the step scheduler (step-scheduler.ts): a DiffusionModel whose calls
 * are queued as rows and answered when the scheduler's shared model calls come back.
 */
import { AbortedError } from '../errors.ts';
import type { DiffusionModel, ModelInfo } from './model.ts';

/** A request's view of the shared model. close() when the request ends. */
export interface SchedulerLane extends DiffusionModel {
  /** Detach: queued rows are dropped and a waiting call rejects with AbortedError. */
  close(reason?: string): void;
}

/** What a lane needs of its scheduler. */
export interface LaneHost {
  enqueue(lane: Lane): void;
  dequeue(lane: Lane): void;
  detach(lane: Lane): void;
  /** The lane was handed the pump (see Lane.wake): run it from here, if it is still the lane's. */
  drive(lane: Lane, generation: number): void;
}

export function copyFloats(from: Float32Array, fromOffset: number, to: Float32Array, toOffset: number, count: number): void {
  for (let i = 0; i < count; i++) to[toOffset + i] = from[fromOffset + i]!;
}

export class Lane implements SchedulerLane {
  readonly info: ModelInfo;
  readonly #host: LaneHost;
  // The pending call: rows [0, batch) of x at timesteps t; rows before `next` are dispatched.
  x: Float32Array = new Float32Array(0);
  t: ArrayLike<number> = [];
  /** The call's class labels (undefined: no class for any row). */
  labels: ArrayLike<number> | undefined = undefined;
  batch = 0;
  next = 0;
  remaining = 0;
  /** Bumped by every call and by cancellation, so a late model output for a stale call is ignored. */
  ticket = 0;
  pending = false;
  closed = false;
  #out = new Float32Array(0);
  #view = new Float32Array(0);
  #resolve: (out: Float32Array) => void = () => {};
  #reject: (error: unknown) => void = () => {};
  #wake: (generation: number) => void = () => {};
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort = () => this.close('the request was cancelled');

  constructor(host: LaneHost, info: ModelInfo, signal: AbortSignal | undefined) {
    this.#host = host;
    this.info = info;
    this.#signal = signal;
    signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  run(x: Float32Array, timesteps: ArrayLike<number>, batch: number, labels?: ArrayLike<number>): Promise<Float32Array> {
    if (this.closed || this.#signal?.aborted) return Promise.reject(new AbortedError('the request was cancelled'));
    if (this.pending) return Promise.reject(new Error('a lane runs one model call at a time'));
    const outSize = this.info.outputSize;
    if (this.#out.length < batch * outSize) this.#out = new Float32Array(batch * outSize);
    // The sampler reads the stride from the output's length: hand it exactly batch rows.
    if (this.#view.length !== batch * outSize) this.#view = this.#out.subarray(0, batch * outSize);
    this.x = x;
    this.t = timesteps;
    this.labels = labels;
    this.batch = batch;
    this.next = 0;
    this.remaining = batch;
    this.ticket++;
    this.pending = true;
    const promise = new Promise<Float32Array>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // Registered here, in the caller's (the request's) context: a Workers runtime drops the
    // timers and continuations of a request that has ended, so the pump must be able to move
    // into a request that is still waiting.
    void new Promise<number>((resolve) => (this.#wake = resolve)).then((generation) => this.#host.drive(this, generation));
    this.#host.enqueue(this);
    return promise;
  }

  /** Hand this waiting lane the pump: its request runs the next model calls. */
  wake(generation: number): void {
    this.#wake(generation);
  }

  /** Rows [row, row+count) of a call came back at out[offset·outSize ...). */
  deliver(ticket: number, row: number, count: number, out: Float32Array, offset: number): void {
    if (ticket !== this.ticket || !this.pending) return;
    const outSize = this.info.outputSize;
    copyFloats(out, offset * outSize, this.#out, row * outSize, count * outSize);
    this.remaining -= count;
    if (this.remaining === 0) {
      this.pending = false;
      this.#resolve(this.#view);
    }
  }

  fail(ticket: number, error: unknown): void {
    if (ticket !== this.ticket || !this.pending) return;
    this.pending = false;
    this.#host.dequeue(this);
    this.#reject(error);
  }

  close(reason = 'the request ended'): void {
    if (this.closed) return;
    this.closed = true;
    this.#signal?.removeEventListener('abort', this.#onAbort);
    if (this.pending) this.fail(this.ticket, new AbortedError(reason));
    this.ticket++;
    this.#host.detach(this);
  }

  async dispose(): Promise<void> {
    this.close();
  }
}
