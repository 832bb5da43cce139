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
import type { DiffusionModel, ModelInfo } from './model.ts';
import { Lane, type LaneHost, type SchedulerLane, copyFloats } from './scheduler-lane.ts';

export type { SchedulerLane } from './scheduler-lane.ts';

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

/**
 * Resolves after pending microtasks, so continuations of finished steps can queue their next
 * rows, and after pending I/O, so a server stays answerable (health, a client's hang-up)
 * during a run. Deno's setImmediate runs before I/O is polled: a run of back-to-back
 * immediates starved its sockets for the whole run (1.5 s for a 1.5 s run; setTimeout: 0.15 s).
 */
const nextMacrotask: () => Promise<void> =
  typeof globalThis.setImmediate === 'function' && !('Deno' in globalThis)
    ? () => new Promise((resolve) => setImmediate(resolve))
    : () => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * Continuous, step-level batching over one model.
 *
 * @example
 * const scheduler = new StepScheduler(pipeline.model, { maxBatch: 64 });
 * const lane = scheduler.lane(request.signal);
 * try { await pipeline.execute(prepared, { sink, model: lane }); } finally { lane.close(); }
 */
export class StepScheduler implements LaneHost {
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
  /** The lane in whose request the pump runs; undefined: no pump. */
  #driver: Lane | undefined;
  /** Bumped whenever the pump changes hands: a pump of an older generation stops. */
  #generation = 0;
  /** The model call the pump awaits, and one a successor has to finish. */
  #inFlight: Promise<Float32Array> | undefined;
  #takenOver: Promise<Float32Array> | undefined;
  #slowestCallMs = 0;
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
    if (!this.#driver) this.#handTo(lane);
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
    // The pump runs in the request of its driver lane: one that ended hands it on now.
    if (this.#driver === lane) this.#handOver();
  }

  /** @internal The woken lane runs the pump from its own request, if the pump is still its. */
  drive(lane: Lane, generation: number): void {
    if (this.#generation === generation && this.#driver === lane) void this.#pump(lane, generation);
  }

  /** Make `lane` the driver; the first starts the pump at once, a successor when it wakes. */
  #handTo(lane: Lane, wake = false): void {
    this.#driver = lane;
    const generation = ++this.#generation;
    if (wake) lane.wake(generation);
    else void this.#pump(lane, generation);
  }

  /**
   * A request that ended (answered, cancelled) may take its timers and continuations with
   * it (Workers runtimes do), so the pump moves to a lane still waiting for rows. A call in
   * flight is taken over: the successor awaits it for a while, else runs its rows again.
   */
  #handOver(): void {
    const waiting = (lane: Lane | null) => lane !== null && lane.pending && !lane.closed;
    this.#takenOver ??= this.#inFlight;
    this.#inFlight = undefined;
    const fromCall = this.#takenOver ? this.#segmentLane.slice(0, this.#segments).find(waiting) : undefined;
    const successor = fromCall ?? this.#queue.find(waiting);
    if (successor) return this.#handTo(successor, true);
    [this.#driver, this.#takenOver] = [undefined, undefined];
    this.#generation++;
  }

  /** A successor's first job: the call its predecessor left in flight, answered or run again. */
  async #finishTakenOver(call: Promise<Float32Array>, current: () => boolean): Promise<void> {
    const waitMs = Math.max(250, 4 * this.#slowestCallMs);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), waitMs);
    });
    const settled = await Promise.race([call.then((out) => ({ out }), (error: unknown) => ({ error })), expired]);
    clearTimeout(timer);
    if (!current()) return; // handed on again meanwhile: the next successor finishes it
    this.#takenOver = undefined;
    if (settled && 'out' in settled) return this.#scatter(settled.out);
    if (settled) return this.#failSegments(settled.error);
    // Never answered (its request's context is gone): queue its undelivered rows again, first.
    const again: Lane[] = [];
    for (let s = 0; s < this.#segments; s++) {
      const lane = this.#segmentLane[s]!;
      if (lane.ticket !== this.#segmentTicket[s] || !lane.pending) continue;
      lane.next = Math.min(lane.next, this.#segmentRow[s]!);
      if (!this.#queue.includes(lane) && !again.includes(lane)) again.push(lane);
    }
    this.#queue.unshift(...again);
  }

  #failSegments(error: unknown): void {
    for (let s = 0; s < this.#segments; s++) this.#segmentLane[s]!.fail(this.#segmentTicket[s]!, error);
  }

  async #pump(driver: Lane, generation: number): Promise<void> {
    const current = () => this.#generation === generation;
    try {
      if (this.#takenOver) await this.#finishTakenOver(this.#takenOver, current);
      while (current() && this.#queue.length > 0) {
        // Let the samplers whose step just finished queue their next rows, so they join this call.
        await nextMacrotask();
        if (!current()) return;
        const rows = this.#gather();
        if (rows === 0) continue;
        const started = performance.now();
        const call = this.#model.run(this.#x, this.#t, rows, this.#model.info.classInput ? this.#labels : undefined);
        this.#inFlight = call;
        let out: Float32Array;
        try {
          out = await call;
        } catch (error) {
          if (current()) {
            this.#inFlight = undefined;
            this.#failSegments(error);
          }
          continue;
        } finally {
          const ms = performance.now() - started;
          this.#stats.modelMs += ms;
          this.#slowestCallMs = Math.max(this.#slowestCallMs, ms);
        }
        if (!current()) return; // taken over: the successor answers this call
        this.#inFlight = undefined;
        this.#scatter(out);
        // The driver's rows are answered, so its request may end: the pump moves to one still waiting.
        if (!driver.pending && this.#queue.length > 0) return this.#handOver();
      }
    } finally {
      if (current() && !this.#inFlight) {
        this.#driver = undefined;
        for (let s = 0; s < this.maxBatch; s++) this.#segmentLane[s] = null;
      }
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
