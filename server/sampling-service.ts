/**
 * What the HTTP front runs requests on: admission against the configured limits, the
 * shared step scheduler, per-request timeouts and cancellation, counters, and a
 * graceful shutdown. Runtime-neutral (no server, no Bun): adapters own the sockets.
 */
import { AbortedError } from '../core/errors.ts';
import type { Pipeline } from '../core/pipeline.ts';
import { memorySink } from '../core/sinks/memory-sink.ts';
import { HttpError } from './http-error.ts';
import type { Admission, PreparedRequest, RequestHooks, RequestResult } from './request-types.ts';
import { StepScheduler } from '../core/model/step-scheduler.ts';

import type { CancelReason } from './request-deadline.ts';

export type { CancelReason };


interface Job {
  readonly id: string;
  readonly rows: number;
  readonly work: number;
  /** Upload pixels still to decode; given back once decoded. */
  pixels: number;
  /** Epoch milliseconds at which the request times out (504). */
  readonly deadline: number;
  readonly controller: AbortController;
  released: boolean;
}

export interface AdmitOptions {
  /** When the request's clock started (server.request_timeout_ms counts from it). Default: now. */
  readonly startedAt?: number;
}

export interface ServiceOptions {
  /** Rows per model call; default: the config's server.max_batch. */
  readonly maxBatch?: number;
}

/**
 * The run's result, or an AbortedError as soon as the signal fires: a plugin that awaits
 * something that never settles cannot hold its request (or the queue room) past its timeout.
 */
function untilAborted<T>(running: Promise<T>, signal: AbortSignal): Promise<T> {
  // The run settles on its own after an abort; nobody waits for it then, so its rejection is handled here.
  running.catch(() => undefined);
  if (signal.aborted) return Promise.reject(new AbortedError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new AbortedError());
    signal.addEventListener('abort', onAbort, { once: true });
    running.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

export class SamplingService {
  readonly pipeline: Pipeline;
  readonly scheduler: StepScheduler;
  /** Admitted requests by id, in admission order. */
  readonly #jobs = new Map<string, Job>();
  readonly #idle: (() => void)[] = [];
  #queuedRows = 0;
  #queuedWork = 0;
  #queuedPixels = 0;
  #draining = false;
  #nextId = 1;
  readonly counters = { completed: 0, failed: 0, rejected: 0, cancelled: { client: 0, timeout: 0, shutdown: 0 } };

  constructor(pipeline: Pipeline, options: ServiceOptions = {}) {
    this.pipeline = pipeline;
    this.scheduler = new StepScheduler(pipeline.model, { maxBatch: options.maxBatch ?? pipeline.config.server.max_batch });
  }

  get limits() {
    return this.pipeline.config.server;
  }

  get draining(): boolean {
    return this.#draining;
  }

  /** Refuse (and count) a request while shutting down: 503, so clients retry elsewhere. */
  assertAccepting(): void {
    if (!this.#draining) return;
    this.counters.rejected++;
    throw new HttpError(503, 'shutting_down', 'the service is shutting down; retry on another instance', { retryAfter: 5 });
  }

  get inFlight(): { requests: number; samples: number } {
    return { requests: this.#jobs.size, samples: this.#queuedRows };
  }

  /** Upload pixels admitted and not yet decoded. */
  get queuedPixels(): number {
    return this.#queuedPixels;
  }

  /** Seconds until the work in flight is likely done, from the model's measured pace. */
  retryAfter(): number {
    return Math.min(60, Math.max(1, Math.ceil(this.#secondsOfWork(this.#queuedWork))));
  }

  /** Seconds the model needs for `work` rows at its measured pace (100 rows/s before the first call). */
  #secondsOfWork(work: number): number {
    const { rows, modelMs } = this.scheduler.stats;
    const rowsPerSecond = rows > 0 && modelMs > 0 ? rows / (modelMs / 1000) : 100;
    return work / rowsPerSecond;
  }

  /**
   * One full batch through the shared scheduler before the first request, so that admission
   * knows the model's pace from the start rather than guessing it while a burst arrives.
   */
  async warmUp(): Promise<void> {
    const { info } = this.pipeline.model;
    const rows = this.scheduler.maxBatch;
    const lane = this.scheduler.lane();
    try {
      await lane.run(new Float32Array(rows * info.channels * info.height * info.width), new Array<number>(rows).fill(0), rows);
    } finally {
      lane.close();
    }
  }

  /**
   * A 429 when the work already admitted plus this request's would take the model longer than
   * half of server.request_timeout_ms at its measured pace: admitted, they would all time out
   * (504) together, since the scheduler moves every request on at the same pace. The other
   * half is room for the work outside model calls and a busy machine. A request alone is
   * always admitted; its size is bounded by the per-request limits.
   */
  #checkTime(work: number): void {
    if (this.#jobs.size === 0) return;
    const seconds = this.#secondsOfWork(this.#queuedWork + work);
    if (seconds * 1000 <= this.limits.request_timeout_ms / 2) return;
    this.counters.rejected++;
    throw new HttpError(
      429,
      'queue_full',
      `the queue holds about ${Math.ceil(seconds)} s of work at the model's pace, more than half of server.request_timeout_ms (${this.limits.request_timeout_ms} ms); retry later`,
      { retryAfter: this.retryAfter() },
    );
  }

  /** A 413 (never fits) or 429 (not now) when `amount` more of a queued quantity is over its limit. */
  #checkRoom(amount: number, queued: number, max: number, what: { unit: string; key: string; field: string }): void {
    if (amount > max) {
      this.counters.rejected++;
      throw new HttpError(413, `too_many_${what.unit}`, `${what.field}: this request has ${amount} ${what.unit} to process; the queue holds at most ${max} (server.${what.key})`, {
        field: what.field,
      });
    }
    if (queued + amount > max) {
      this.counters.rejected++;
      throw new HttpError(429, 'queue_full', `the queue is full (${queued} of ${max} ${what.unit} in flight, server.${what.key}); retry later`, {
        retryAfter: this.retryAfter(),
      });
    }
  }

  /**
   * Reserve room for a request, or refuse it: 503 while shutting down, 413 when it could
   * never fit, 429 (with Retry-After) while the queue is full. Samples, upload pixels to
   * decode and the model time of the work admitted all count: a few huge uploads take the
   * room many small runs would, and no more is admitted than can finish within the timeout.
   */
  admit(prepared: PreparedRequest, { startedAt = Date.now() }: AdmitOptions = {}): Admission {
    this.assertAccepting();
    this.#checkRoom(prepared.rows, this.#queuedRows, this.limits.max_queued_samples, { unit: 'samples', key: 'max_queued_samples', field: 'n_samples' });
    this.#checkRoom(prepared.pixels, this.#queuedPixels, this.limits.max_queued_pixels, { unit: 'pixels', key: 'max_queued_pixels', field: 'images' });
    this.#checkTime(prepared.work);
    const job: Job = {
      id: `r${this.#nextId++}`,
      rows: prepared.rows,
      work: prepared.work,
      pixels: prepared.pixels,
      deadline: startedAt + this.limits.request_timeout_ms,
      controller: new AbortController(),
      released: false,
    };
    this.#jobs.set(job.id, job);
    this.#queuedRows += job.rows;
    this.#queuedWork += job.work;
    this.#queuedPixels += job.pixels;
    return { id: job.id, prepared, decoded: () => this.#decoded(job), release: () => this.#release(job) };
  }

  #decoded(job: Job): void {
    this.#queuedPixels -= job.pixels;
    job.pixels = 0;
  }

  #release(job: Job): void {
    if (job.released) return;
    job.released = true;
    this.#decoded(job);
    this.#jobs.delete(job.id);
    this.#queuedRows -= job.rows;
    this.#queuedWork -= job.work;
    if (this.#jobs.size === 0) for (const wake of this.#idle.splice(0)) wake();
  }

  /** The answer to a request cancelled for `reason`: 504, 503, or an AbortedError (nobody is listening). */
  cancellation(reason: CancelReason, cause?: unknown): Error {
    if (reason === 'timeout') {
      return new HttpError(504, 'timeout', `the request took longer than ${this.limits.request_timeout_ms} ms (server.request_timeout_ms) and was cancelled`, { cause });
    }
    if (reason === 'shutdown') return new HttpError(503, 'shutting_down', 'the service shut down before this request finished; retry', { retryAfter: 5, cause });
    return new AbortedError('the client disconnected');
  }

  #job(admission: Admission): Job {
    const job = this.#jobs.get(admission.id);
    if (!job) throw new Error(`admission ${admission.id} was released`);
    return job;
  }

  /**
   * Run an admitted request through the shared pipeline on its own scheduler lane.
   * Throws HttpError 504 (timeout) or 503 (shutdown), AbortedError when the client left.
   */
  async run(admission: Admission, hooks: RequestHooks = {}): Promise<RequestResult> {
    const job = this.#job(admission);
    const { prepared } = admission;
    const { controller } = job;
    const onClientAbort = () => controller.abort('client' satisfies CancelReason);
    if (hooks.signal?.aborted) onClientAbort();
    hooks.signal?.addEventListener('abort', onClientAbort, { once: true });
    const timer = setTimeout(() => controller.abort('timeout' satisfies CancelReason), Math.max(0, job.deadline - Date.now()));
    const lane = this.scheduler.lane(controller.signal);
    try {
      const sink = memorySink();
      // The prepared run, over this request's lane of the shared model.
      const running = this.pipeline.execute(prepared.run, {
        sink,
        model: lane,
        signal: controller.signal,
        onProgress: hooks.onProgress,
        previewEvery: hooks.onPreview ? prepared.previewEvery : undefined,
        onPreview: hooks.onPreview,
      });
      const summary = await untilAborted(running, controller.signal);
      this.counters.completed++;
      const { classes } = prepared.run;
      return { id: job.id, info: sink.info!, pngs: sink.pngs, summary, classOf: classes.numClasses > 0 ? classes.classOf : undefined };
    } catch (error) {
      const reason = controller.signal.aborted ? (controller.signal.reason as CancelReason) : undefined;
      if (reason) {
        this.counters.cancelled[reason]++;
        throw this.cancellation(reason, error);
      }
      if (!(error instanceof HttpError)) this.counters.failed++;
      throw error;
    } finally {
      clearTimeout(timer);
      hooks.signal?.removeEventListener('abort', onClientAbort);
      lane.close();
      this.#release(job);
    }
  }

  /**
   * Stop admitting, let requests in flight finish for up to `graceMs`, then cancel the
   * rest (they answer 503) and wait for them to unwind.
   */
  async close(graceMs: number = this.limits.shutdown_grace_ms): Promise<{ finished: number; cancelled: number }> {
    this.#draining = true;
    const before = this.#jobs.size;
    if (before > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([this.#whenIdle(), new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
      clearTimeout(timer);
    }
    const cancelled = this.#jobs.size;
    for (const job of this.#jobs.values()) job.controller.abort('shutdown' satisfies CancelReason);
    if (cancelled > 0) await this.#whenIdle();
    return { finished: before - cancelled, cancelled };
  }

  #whenIdle(): Promise<void> {
    if (this.#jobs.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }
}
