/** The small interface `ddim eval` sees of a feature / classifier network. */
import type { ExecutionProvider } from './model.ts';

export type FeatureInputType = 'float32' | 'uint8';

export interface FeatureModelInfo {
  /** The model file, as given. */
  readonly path: string;
  readonly inputName: string;
  /** float32 inputs get the image mapped to `inputRange`; uint8 inputs get the 0..255 bytes. */
  readonly inputType: FeatureInputType;
  readonly inputRange: readonly [number, number];
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  /** Largest batch one run() takes: the model's static batch size, or undefined when dynamic. */
  readonly fixedBatch: number | undefined;
  /** The output used for the Fréchet distance, flattened per image to `dim` values. */
  readonly features: { readonly name: string; readonly dim: number } | undefined;
  /** The output read as class logits for the score (softmax is applied by the metric). */
  readonly logits: { readonly name: string; readonly classes: number } | undefined;
  /** Every output the model has, for messages. */
  readonly outputNames: readonly string[];
}

export interface FeatureBatch {
  /** batch·dim values, owned by the model, valid until the next run(). */
  readonly features: Float32Array | undefined;
  /** batch·classes values, owned by the model, valid until the next run(). */
  readonly logits: Float32Array | undefined;
}

export interface FeatureModel {
  readonly info: FeatureModelInfo;
  /**
   * Evaluate `batch` images given as C·H·W values in [-1, 1] each (the toolkit's image space,
   * what decodeImage writes); the model maps them to its own input type and range.
   */
  run(images: Float32Array, batch: number): Promise<FeatureBatch>;
  dispose(): Promise<void>;
}

export interface FeatureModelOptions {
  readonly providers?: readonly ExecutionProvider[];
  readonly intraOpThreads?: number;
  readonly interOpThreads?: number;
  /** Output to take features from; default `features`, or the only output. */
  readonly featuresOutput?: string;
  /** Output to take class logits from; default `logits` when the model has one. */
  readonly logitsOutput?: string;
  /** Side of the square input, for models whose H and W are not fixed in the file. */
  readonly imageSize?: number;
  /** The value range a float32 input expects; default [-1, 1]. */
  readonly inputRange?: readonly [number, number];
}
