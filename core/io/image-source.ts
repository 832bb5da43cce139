/** Read-only source of input images in [−1, 1] (reconstruction and similar modes). */
export interface ImageSource {
  readonly count: number;
  /** File names or labels, in order. */
  readonly names: readonly string[];
  /** Write images [start, start+count) into out (count·C·H·W values). */
  read(start: number, count: number, out: Float32Array): Promise<void>;
}
