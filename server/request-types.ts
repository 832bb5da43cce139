/** What the HTTP front passes between its steps: a prepared request and a finished one. */
import type { PreparedRun, Progress, RunInfo, RunSummary } from '../core/run-types.ts';
import type { UploadImageSource } from './upload-images.ts';

/** A validated request, ready to be admitted and run. */
export interface PreparedRequest {
  readonly run: PreparedRun;
  /** Result items (PNG files the CLI would write). */
  readonly count: number;
  /** Samples the model carries at each step (interpolation: every frame; guided: with and without the class). */
  readonly rows: number;
  /** Model rows over the whole run: rows · model calls per row. */
  readonly work: number;
  /** Upload pixels the run decodes (width × height as the files declare them). */
  readonly pixels: number;
  readonly previewEvery: number | undefined;
  /** Uploaded input images and masks, decoded after admission (decoding costs CPU). */
  readonly uploads: readonly UploadImageSource[];
}

export interface RequestResult {
  readonly id: string;
  readonly info: RunInfo;
  /** One PNG per item, byte-identical to the CLI's files. */
  readonly pngs: readonly Uint8Array[];
  readonly summary: RunSummary;
  /** A conditional model's class of each item (< 0: none); undefined for an (x, t) model. */
  readonly classOf?: (item: number) => number;
}

/** What a request's run reports to its answer, and the signal of its client. */
export interface RequestHooks {
  /** Aborts when the client goes away. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: Progress) => void;
  readonly onPreview?: (x0: Float32Array, step: number, steps: number) => void;
}


/** An admitted request's reservation of queue room. Release it if the run never starts. */
export interface Admission {
  readonly id: string;
  readonly prepared: PreparedRequest;
  /** The uploads are decoded: their pixels no longer hold queue room. */
  decoded(): void;
  release(): void;
}
