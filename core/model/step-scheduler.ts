/**
 * Step-level batching across requests.
 *
 * Every request runs the ordinary pipeline (its mode plugin driving its own DdimSampler),
 * but over a *lane* of this scheduler instead of the model itself. A lane is a
 * DiffusionModel: when a request's sampler asks for the model output of its samples at
 * its current timestep, the lane queues those rows. The scheduler packs the queued rows
 * of all lanes (each row with its own timestep) into one model call of at most
 * `maxBatch` rows, runs the network once, and hands every lane its rows' outputs; each
 * request's sampler then advances its samples by its own DDIM step (the shared
 * `applyStep`, with its own coefficients and noise keys) and queues the next step.
 *
 * So samples from different requests at different steps share model calls, while what
 * happens to a sample between model calls is exactly what the CLI does. A row's output
 * depends only on its input, timestep and class label, never on its batch mates: results
 * do not depend on the load. Each row carries its label (a guided step's rows with and
 * without the class), so rows of different requests and classes share calls too.
 */
import { AbortedError } from '../errors.ts';
import type { DiffusionModel, ModelInfo } from './model.ts';

export interface StepSchedulerOptions {
  /** Most rows (samples at one step each) in one model call. */
  readonly maxBatch: number;
}

/** Counters since start-up, for /v1/health and the benchmark. */
export interface SchedulerStats {
  readonly modelCalls: number;
  /** Sample-steps evaluated (rows over all model calls). */
  readonly rows: number;
  /** Model calls whose rows were at more than one timestep (different requests or steps). */
  readonly mixedCalls: number;
  /** Model calls with rows of more than one lane. */
  readonly sharedCalls: number;
  readonly largestBatch: number;
  /** Rows waiting for the model now. */
  readonly queuedRows: number;
  /** Lanes attached now (requests in flight). */
  readonly lanes: number;
  /** Wall time inside the model, in ms. */
  readonly modelMs: number;
}

/** A request's view of the shared model. close() when the request ends. */
export interface SchedulerLane extends DiffusionModel {
  /** Detach: queued rows are dropped and a waiting call rejects with AbortedError. */
  close(reason?: string): void;
}

/** Resolves after pending microtasks, so continuations of finished steps can queue their next rows. */
const nextMacrotask: () => Promise<void> =
  typeof globalThis.setImmediate === 'function'
    ? () => new Promise((resolve) => setImmediate(resolve))
    : () => new Promise((resolve) => setTimeout(resolve, 0));

function copyFloats(from: Float32Array, fromOffset: number, to: Float32Array, toOffset: number, count: number): void {
  for (let i = 0; i < count; i++) to[toOffset + i] = from[fromOffset + i]!;
}

class Lane implements SchedulerLane {
  readonly info: ModelInfo;
  readonly #scheduler: StepScheduler;
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
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort = () => this.close('the request was cancelled');

  constructor(scheduler: StepScheduler, info: ModelInfo, signal: AbortSignal | undefined) {
    this.#scheduler = scheduler;
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
    this.#scheduler.enqueue(this);
    return promise;
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
    this.#scheduler.dequeue(this);
    this.#reject(error);
  }

  close(reason = 'the request ended'): void {
    if (this.closed) return;
    this.closed = true;
    this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#scheduler.detach(this);
    if (this.pending) this.fail(this.ticket, new AbortedError(reason));
    this.ticket++;
  }

  async dispose(): Promise<void> {
    this.close();
  }
}

/**
 * Continuous, step-level batching over one model.
 *
 * @example
 * const scheduler = new StepScheduler(pipeline.model, { maxBatch: 64 });
 * const lane = scheduler.lane(request.signal);
 * try { await pipeline.execute(prepared, { sink, model: lane }); } finally { lane.close(); }
 */
export class StepScheduler {
  readonly maxBatch: number;
  readonly #model: DiffusionModel;
  readonly #size: number;
  readonly #queue: Lane[] = [];
  readonly #lanes = new Set<Lane>();
  // One model call's inputs and where its rows came from, preallocated for maxBatch rows.
  readonly #x: Float32Array;
  readonly #t: Int32Array;
  readonly #labels: Int32Array;
  readonly #segmentLane: (Lane | null)[];
  readonly #segmentTicket: Int32Array;
  readonly #segmentRow: Int32Array;
  readonly #segmentCount: Int32Array;
  readonly #segmentOffset: Int32Array;
  #segments = 0;
  #pumping = false;
  #stats = { modelCalls: 0, rows: 0, mixedCalls: 0, sharedCalls: 0, largestBatch: 0, modelMs: 0 };

  constructor(model: DiffusionModel, options: StepSchedulerOptions) {
    if (!Number.isInteger(options.maxBatch) || options.maxBatch < 1) throw new RangeError(`maxBatch: expected an integer >= 1, got ${options.maxBatch}`);
    const { channels, height, width } = model.info;
    this.#model = model;
    this.maxBatch = options.maxBatch;
    this.#size = channels * height * width;
    this.#x = new Float32Array(this.maxBatch * this.#size);
    this.#t = new Int32Array(this.maxBatch);
    this.#labels = new Int32Array(this.maxBatch);
    this.#segmentLane = new Array<Lane | null>(this.maxBatch).fill(null);
    this.#segmentTicket = new Int32Array(this.maxBatch);
    this.#segmentRow = new Int32Array(this.maxBatch);
    this.#segmentCount = new Int32Array(this.maxBatch);
    this.#segmentOffset = new Int32Array(this.maxBatch);
  }

  get info(): ModelInfo {
    return this.#model.info;
  }

  /** A new lane: a DiffusionModel whose calls share batches with every other lane's. */
  lane(signal?: AbortSignal): SchedulerLane {
    const lane = new Lane(this, this.#model.info, signal);
    this.#lanes.add(lane);
    return lane;
  }

  get stats(): SchedulerStats {
    let queuedRows = 0;
    for (const lane of this.#queue) queuedRows += lane.batch - lane.next;
    return { ...this.#stats, queuedRows, lanes: this.#lanes.size };
  }

  /** @internal A lane has a call to run. */
  enqueue(lane: Lane): void {
    this.#queue.push(lane);
    if (!this.#pumping) void this.#pump();
  }

  /** @internal Drop a lane's undispatched rows. */
  dequeue(lane: Lane): void {
    const index = this.#queue.indexOf(lane);
    if (index !== -1) this.#queue.splice(index, 1);
  }

  /** @internal */
  detach(lane: Lane): void {
    this.dequeue(lane);
    this.#lanes.delete(lane);
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    try {
      while (this.#queue.length > 0) {
        // Let the samplers whose step just finished queue their next rows, so they join this call.
        await nextMacrotask();
        const rows = this.#gather();
        if (rows === 0) continue;
        const started = performance.now();
        let out: Float32Array;
        try {
          out = await this.#model.run(this.#x, this.#t, rows, this.#model.info.classInput ? this.#labels : undefined);
        } catch (error) {
          for (let s = 0; s < this.#segments; s++) this.#segmentLane[s]!.fail(this.#segmentTicket[s]!, error);
          continue;
        } finally {
          this.#stats.modelMs += performance.now() - started;
        }
        this.#scatter(out);
      }
    } finally {
      this.#pumping = false;
      for (let s = 0; s < this.maxBatch; s++) this.#segmentLane[s] = null;
    }
  }

  /** Pack queued rows, oldest call first, into the batch buffers. Returns the row count. */
  #gather(): number {
    const size = this.#size;
    let rows = 0;
    let segments = 0;
    let mixed = false;
    while (rows < this.maxBatch && this.#queue.length > 0) {
      const lane = this.#queue[0]!;
      const take = Math.min(lane.batch - lane.next, this.maxBatch - rows);
      copyFloats(lane.x, lane.next * size, this.#x, rows * size, take * size);
      for (let r = 0; r < take; r++) {
        const t = lane.t[lane.next + r]!;
        this.#t[rows + r] = t;
        this.#labels[rows + r] = lane.labels === undefined ? -1 : lane.labels[lane.next + r]!;
        if (t !== this.#t[0]) mixed = true;
      }
      this.#segmentLane[segments] = lane;
      this.#segmentTicket[segments] = lane.ticket;
      this.#segmentRow[segments] = lane.next;
      this.#segmentCount[segments] = take;
      this.#segmentOffset[segments] = rows;
      segments++;
      lane.next += take;
      rows += take;
      if (lane.next === lane.batch) this.#queue.shift();
    }
    this.#segments = segments;
    const stats = this.#stats;
    if (rows > 0) {
      stats.modelCalls++;
      stats.rows += rows;
      if (mixed) stats.mixedCalls++;
      // A lane is taken whole (or until the batch is full), so several segments are several lanes.
      if (segments > 1) stats.sharedCalls++;
      if (rows > stats.largestBatch) stats.largestBatch = rows;
    }
    return rows;
  }

  #scatter(out: Float32Array): void {
    for (let s = 0; s < this.#segments; s++) {
      this.#segmentLane[s]!.deliver(this.#segmentTicket[s]!, this.#segmentRow[s]!, this.#segmentCount[s]!, out, this.#segmentOffset[s]!);
    }
  }
}
