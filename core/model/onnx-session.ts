/**
 * The one module that talks to onnxruntime: sessions, execution providers and tensors.
 * The loaders build on it, so everything else sees only DiffusionModel or FeatureModel.
 */
import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import { oneLine, UserError } from '../errors.ts';
import type { ExecutionProvider, ModelOptions } from './model.ts';

import { type InferenceSession, type OnnxTensor, type TensorData, type TensorType, ortMessage } from './onnx-common.ts';

export { ortMessage, releaseOnError, staticDim, tensorMetadata, type InferenceSession, type OnnxTensor, type TensorData, type TensorType } from './onnx-common.ts';

export interface OnnxSession {
  readonly session: InferenceSession;
  /** The providers the session really got: after a CUDA fallback, fewer than asked for. */
  readonly providers: readonly ExecutionProvider[];
}

export type SessionOptions = Pick<ModelOptions, 'providers' | 'intraOpThreads' | 'interOpThreads' | 'onWarning'>;

/**
 * Most threads a session may ask for: beyond the cores they only take turns (measured on two
 * cores, two sampling steps: 0.4 s with one thread per core, 8 s with 64, 32 s with 256), and
 * thousands never finish starting. 4 per core, at least 64.
 */
function maxThreads(): number {
  return Math.max(64, 4 * availableParallelism());
}

/** Thread counts checked before onnxruntime sees them (it would blame the model file). */
function checkThreads(options: SessionOptions): void {
  const limit = maxThreads();
  const counts = [
    [options.intraOpThreads, '--threads', ' (sampler.intra_op_threads)', '; 0 uses one per core'],
    [options.interOpThreads, 'sampler.inter_op_threads', '', ''],
  ] as const;
  for (const [count, name, key, hint] of counts) {
    if (count !== undefined && count > limit) {
      throw new UserError(`${name} ${count}${key}: at most ${limit} on this machine (4 per core, at least 64)${hint}`);
    }
  }
}

/** Whether the process was started with onnxruntime's telemetry off (read before we set it). */
const TELEMETRY_OFF_AT_START = process.env.ORT_DISABLE_TELEMETRY === '1';
/** Longest command line onnxruntime's telemetry is known to read safely (it crashed at ~29,000 characters with an 8 MiB stack). */
const SAFE_COMMAND_LINE = 16_384;

/**
 * onnxruntime (1.30) starts a telemetry system with its first session, which matches the
 * process's command line (/proc/self/cmdline) with a recursive regex: a command line of
 * ~29,000 characters or more overflows the stack and the process dies of SIGSEGV, with no
 * message. Turning the telemetry off (ORT_DISABLE_TELEMETRY=1) avoids that; setting it here
 * reaches onnxruntime under Node and Deno, whose process.env is the C environment. Bun's is
 * not, so a Bun process needs it from its parent (the CLI's supervisor can pass it); without
 * it, a long command line is refused in one line instead of a crash.
 */
function disableTelemetry(): void {
  process.env.ORT_DISABLE_TELEMETRY ??= '1';
  if (TELEMETRY_OFF_AT_START || !('bun' in process.versions)) return;
  const length = [process.argv0, ...process.execArgv, ...process.argv.slice(1)].reduce((n, word) => n + word.length + 1, 0);
  if (length > SAFE_COMMAND_LINE) {
    throw new UserError(
      `the command line is ${length} characters: onnxruntime's telemetry crashes on one over ~${SAFE_COMMAND_LINE} under Bun; ` +
        'put long values in a config file (-c FILE), or set ORT_DISABLE_TELEMETRY=1',
    );
  }
}

/** Open a model file; a missing CUDA falls back to the remaining providers, with a warning. */
export async function createSession(path: string, options: SessionOptions): Promise<OnnxSession> {
  // onnxruntime's native logger would print provider failures itself, before our one-line error.
  ort.env.logLevel = 'fatal';
  disableTelemetry();
  checkThreads(options);
  if (!existsSync(path)) throw new UserError(`model file not found: ${oneLine(path)}`);
  if (!statSync(path).isFile()) throw new UserError(`model ${oneLine(path)} is not a file; expected an .onnx file`);
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
    const reason = ortMessage(error);
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
    throw new UserError(`cannot load model ${oneLine(path)}: not a valid ONNX file (${reason})`);
  }
}

export function createTensor(type: TensorType, data: TensorData, dims: readonly number[]): OnnxTensor {
  return new ort.Tensor(type, data, dims);
}
