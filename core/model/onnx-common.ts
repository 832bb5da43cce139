/**
 * What both onnxruntime packages (onnxruntime-node and onnxruntime-web) share, typed from
 * onnxruntime-common: the model code above them runs on either backend and loads neither.
 */
import type { InferenceSession, Tensor } from 'onnxruntime-common';
import { oneLine } from '../errors.ts';

export type { InferenceSession };
export type OnnxTensor = Tensor;
export type TensorType = 'float32' | 'float64' | 'int32' | 'int64' | 'uint8';
export type TensorData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;

/** Longest onnxruntime message quoted into one of ours. */
const MAX_REASON = 300;

/**
 * An onnxruntime error as one readable line: without the "Load model from … failed:" prefix
 * (our message names the file), the C++ source location and function signature, and with
 * its several lines (the indices of a wrong dimension, say) joined.
 */
export function ortMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const text = message
    .replace(/^Load model from .*? failed:/s, '')
    .replace(/^\/\S+:\d+ [^(]*\(.*?\) (?:const )?/s, '')
    .replace(/\s+/g, ' ')
    .trim();
  return oneLine(text.length > MAX_REASON ? `${text.slice(0, MAX_REASON)}…` : text);
}

/** Runs `build`; if it throws, the session is released first, since no model will own it. */
export async function releaseOnError<T>(session: InferenceSession, build: () => T | Promise<T>): Promise<T> {
  try {
    return await build();
  } catch (error) {
    await session.release();
    throw error;
  }
}

export function tensorMetadata(session: InferenceSession, name: string, input: boolean) {
  const list = input ? session.inputMetadata : session.outputMetadata;
  const meta = list.find((m) => m.name === name);
  return meta && meta.isTensor ? meta : undefined;
}

/** A dimension fixed in the model file; symbolic and unknown ones are undefined. */
export function staticDim(dim: number | string | undefined): number | undefined {
  return typeof dim === 'number' && dim > 0 ? dim : undefined;
}

