/**
 * The one progress renderer of the CLI: a single stderr line redrawn in place. Sampling
 * reports every model step and eval every batch; redrawing each time would cost more
 * terminal writes than the work is worth, so it redraws at most every 100 ms, and always
 * for the last update so that the line ends on the final count.
 */

export interface ProgressLine<P> {
  /** A plain function, so it can be handed over as a callback. */
  readonly update: (progress: P) => void;
  /** Clear the line, so that what comes next starts on a clean one. */
  readonly done: () => void;
}

export interface ProgressLineOptions {
  readonly intervalMs?: number;
  readonly stream?: { write(text: string): unknown };
}

/** Whether to draw at all: not with --quiet, and only on a terminal (a log file would fill with redraws). */
export function wantsProgress(quiet: boolean): boolean {
  return !quiet && process.stderr.isTTY === true;
}

/**
 * @example
 * const line = progressLine((p: { done: number; total: number }) => `${p.done}/${p.total}`, (p) => p.done === p.total);
 * line.update({ done: 1, total: 4 });
 * line.done();
 */
export function progressLine<P>(
  render: (progress: P) => string,
  isLast: (progress: P) => boolean,
  { intervalMs = 100, stream = process.stderr }: ProgressLineOptions = {},
): ProgressLine<P> {
  let lastDrawn = -Infinity;
  let drawn = false;
  return {
    update(progress) {
      const now = performance.now();
      if (now - lastDrawn < intervalMs && !isLast(progress)) return;
      lastDrawn = now;
      stream.write(`\r${render(progress)}\x1b[K`);
      drawn = true;
    },
    done() {
      if (drawn) stream.write('\r\x1b[K');
    },
  };
}

/** `1:05`, or `1:01:05` past an hour; `--:--` before there is a rate to extrapolate from. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}
