/** What the page asks of a run, and what a run tells the page: the same for both places a run can happen. */

/** One run as the form describes it: the fields of a request to the mode's route. */
export interface RunRequest {
  readonly mode: string;
  /** Run options by request field name (n_samples, seed, ddim_eta, skip_type, skip_steps, n_interpolate, ...); undefined: the config's. */
  readonly fields: Readonly<Record<string, number | string | undefined>>;
  /** Options of plugins, keyed by plugin name (only the mode's and the schedule's). */
  readonly options: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  readonly previewEvery: number;
  /** Input images and masks as PNGs at the model's size (web/page/inputs.ts converts what the user gives). */
  readonly images: readonly Uint8Array[];
  readonly masks: readonly Uint8Array[];
}

export interface RunProgress {
  readonly step: number;
  readonly steps: number;
  readonly itemsDone: number;
  readonly items: number;
}

/** A preview of the predicted x0 of one sample in flight: a PNG (from the server) or pixels (from the browser). */
export type PreviewImage = { readonly png: Uint8Array } | { readonly pixels: ImageData };

export interface RunResult {
  readonly pngs: readonly Uint8Array[];
  readonly seed: number;
  readonly steps: number;
  readonly ms: number;
}

/** How a run reports, wherever it runs. */
export interface RunEvents {
  accepted(count: number, steps: number): void;
  progress(progress: RunProgress): void;
  preview(step: number, steps: number, images: readonly PreviewImage[]): void;
  /** A stage before sampling starts (loading the model in the browser, say). */
  note(text: string): void;
}

/**
 * Page -> browser worker. A worker busy sampling reads no message until the run ends (the
 * model calls leave its event loop no turn), so a run also gets a shared flag, where there is
 * shared memory (cross-origin isolation), that the worker reads at every step: 1 = cancel.
 */
export type WorkerRequest =
  | { readonly type: 'run'; readonly id: number; readonly request: RunRequest; readonly cancelFlag?: Int32Array }
  | { readonly type: 'cancel'; readonly id: number };

/** Browser worker -> page. */
export type WorkerReply =
  | { readonly type: 'note'; readonly id: number; readonly text: string }
  | { readonly type: 'accepted'; readonly id: number; readonly count: number; readonly steps: number }
  | { readonly type: 'progress'; readonly id: number; readonly progress: RunProgress }
  | { readonly type: 'preview'; readonly id: number; readonly step: number; readonly steps: number; readonly frames: readonly ImageData[] }
  | { readonly type: 'result'; readonly id: number; readonly result: RunResult }
  | { readonly type: 'error'; readonly id: number; readonly message: string };
