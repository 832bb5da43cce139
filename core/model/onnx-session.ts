/**
 * The one module that talks to onnxruntime: sessions, execution providers and tensors.
 * The loaders build on it, so everything else sees only DiffusionModel or FeatureModel.
 */
import { existsSync, statSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { firstLine, UserError } from '../errors.ts';
import type { ExecutionProvider, ModelOptions } from './model.ts';

export type InferenceSession = ort.InferenceSession;
export type OnnxTensor = ort.Tensor;
export type TensorType = 'float32' | 'float64' | 'int32' | 'int64' | 'uint8';
export type TensorData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;

export interface OnnxSession {
  readonly session: InferenceSession;
  /** The providers the session really got: after a CUDA fallback, fewer than asked for. */
  readonly providers: readonly ExecutionProvider[];
}

export type SessionOptions = Pick<ModelOptions, 'providers' | 'intraOpThreads' | 'interOpThreads' | 'onWarning'>;

/** Open a model file; a missing CUDA falls back to the remaining providers, with a warning. */
export async function createSession(path: string, options: SessionOptions): Promise<OnnxSession> {
  // onnxruntime's native logger would print provider failures itself, before our one-line error.
  ort.env.logLevel = 'fatal';
  if (!existsSync(path) || !statSync(path).isFile()) throw new UserError(`model file not found: ${path}`);
  const providers = options.providers ?? ['cpu'];
  try {
    const session = await ort.InferenceSession.create(path, {
      executionProviders: [...providers],
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
      enableCpuMemArena: true,
      enableMemPattern: true,
      intraOpNumThreads: options.intraOpThreads ?? 0,
      interOpNumThreads: options.interOpThreads ?? 1,
      // Failures reach the user as one-line errors below; onnxruntime's own log would repeat them.
      logSeverityLevel: 4,
    });
    return { session, providers };
  } catch (error) {
    const reason = firstLine(error);
    if (providers.includes('cuda') && /cuda|provider|shared library/i.test(reason)) {
      const rest = providers.filter((p) => p !== 'cuda');
      const why = `execution provider "cuda" is not available (${reason})`;
      if (rest.length > 0) {
        // [cuda, cpu] means "CUDA where it exists": fall back, and say so.
        options.onWarning?.(`${why}; using ${rest.join(', ')}`);
        return createSession(path, { ...options, providers: rest });
      }
      throw new UserError(
        `${why}; valid here: cpu. CUDA needs onnxruntime-node installed with its CUDA binaries ` +
          '(onnxruntime-node-install=cuda12) on a machine with an NVIDIA GPU',
      );
    }
    throw new UserError(`cannot load model ${path}: not a valid ONNX file (${reason})`);
  }
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

export function createTensor(type: TensorType, data: TensorData, dims: readonly number[]): OnnxTensor {
  return new ort.Tensor(type, data, dims);
}
