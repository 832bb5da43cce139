/** Read-only source of input images in [−1, 1] (reconstruction and similar modes). */
export interface ImageSource {
  readonly count: number;
  /** File names or labels, in order. */
  readonly names: readonly string[];
  /** Files of its folder that are not images, passed over (relative names), for a warning. */
  readonly skipped?: readonly string[];
  /** Each image's own size, from its header: a run warns about masks that are resized and cropped. */
  sizes?(): Promise<ReadonlyArray<{ readonly width: number; readonly height: number }>>;
  /** Write images [start, start+count) into out (count·C·H·W values). */
  read(start: number, count: number, out: Float32Array): Promise<void>;
}
