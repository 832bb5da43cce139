/**
 * The one module that talks to onnxruntime: sessions, execution providers and tensors.
 * The loaders build on it, so everything else sees only DiffusionModel or FeatureModel.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import { oneLine, UserError } from '../errors.ts';
import type { ExecutionProvider, ModelOptions } from './model.ts';

import { type InferenceSession, type OnnxTensor, type TensorData, type TensorType, ortMessage } from './onnx-common.ts';

export { ortMessage, releaseOnError, staticDim, tensorMetadata, type InferenceSession, type OnnxTensor, type TensorData, type TensorType } from './onnx-common.ts';

export interface OnnxSession {
  readonly session: InferenceSession;
  /** The providers the session really got: after a fallback (CUDA, WebGPU), not those asked for. */
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

/** The Vulkan loader Dawn (the WebGPU EP's engine on Linux) opens. */
const VULKAN_LOADER = 'libvulkan.so.1';

/** Where the Vulkan loader looks for drivers (its ICD manifests), when no variable names them. */
function vulkanDriverDirs(): string[] {
  const env = process.env;
  const home = env.HOME ?? '';
  const config = [...(env.XDG_CONFIG_DIRS || '/etc/xdg').split(':'), '/etc', env.XDG_CONFIG_HOME || `${home}/.config`];
  const data = [env.XDG_DATA_HOME || `${home}/.local/share`, ...(env.XDG_DATA_DIRS || '/usr/local/share:/usr/share').split(':')];
  return [...config, ...data].filter(Boolean).map((dir) => `${dir}/vulkan/icd.d`);
}

/**
 * Why Dawn surely finds no Vulkan device here, or undefined. Dawn would say so itself, in
 * lines of its own on stderr; one warning of ours reads better. Unsure cases (no loader cache,
 * as on NixOS; drivers named by a variable) are left to Dawn.
 */
function vulkanMissing(): string | undefined {
  const env = process.env;
  const dirs = (env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  if (!dirs.some((dir) => existsSync(`${dir}/${VULKAN_LOADER}`))) {
    try {
      if (!readFileSync('/etc/ld.so.cache').includes(VULKAN_LOADER)) return `no Vulkan loader on this machine: ${VULKAN_LOADER} not found`;
    } catch {
      return undefined;
    }
  }
  if (env.VK_DRIVER_FILES || env.VK_ICD_FILENAMES || env.VK_ADD_DRIVER_FILES) return undefined;
  const hasDriver = (dir: string) => {
    try {
      return readdirSync(dir).some((name) => name.endsWith('.json'));
    } catch {
      return false; // missing, or not readable: no driver to be had there
    }
  };
  return vulkanDriverDirs().some(hasDriver) ? undefined : 'no Vulkan driver on this machine: no ICD manifest in the vulkan/icd.d folders';
}

/** Why a provider failed, in short: an ORT_ENFORCE message reads "FILE:LINE FUNCTION CONDITION was false. WHY". */
function failureReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const why = /\bwas false\. (\S.*)$/s.exec(message)?.[1];
  return ortMessage(why ?? error);
}

/** Why `provider` cannot run here, known before onnxruntime tries it; undefined: let it try. */
function knownUnavailable(provider: ExecutionProvider): string | undefined {
  if (provider !== 'webgpu') return undefined;
  if (!ort.listSupportedBackends().some((backend) => backend.name === 'webgpu')) {
    return `this onnxruntime-node build (${process.platform}-${process.arch}) has no WebGPU`;
  }
  return process.platform === 'linux' ? vulkanMissing() : undefined;
}

/** How onnxruntime says a GPU provider could not start (rather than that the model is bad). */
const PROVIDER_FAILURES: Partial<Record<ExecutionProvider, RegExp>> = {
  cuda: /cuda|cudnn|cublas|providers_cuda|shared library/i,
  webgpu: /webgpu|adapter|dawn|vulkan/i,
};

/**
 * What is left when `provider` cannot run: the rest of the list. webgpu alone means "the GPU
 * if there is one" (it needs no vendor install), so it falls back to cpu; cuda alone fails.
 */
function fallback(providers: readonly ExecutionProvider[], provider: ExecutionProvider, why: string): ExecutionProvider[] {
  const rest = providers.filter((p) => p !== provider);
  if (rest.length > 0) return rest;
  if (provider === 'webgpu') return ['cpu'];
  throw new UserError(
    `${why}; valid here: cpu. CUDA needs onnxruntime-node's CUDA binaries on a machine with an NVIDIA GPU: ` +
      'ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js (docs/INSTALL.md)',
  );
}

/**
 * Open a model file. A GPU provider that cannot run here (CUDA without its binaries, WebGPU
 * without an adapter) falls back to the rest of the list, with a one-line warning; the
 * providers that really ran are returned.
 */
export async function createSession(path: string, options: SessionOptions): Promise<OnnxSession> {
  // onnxruntime's native logger would print provider failures itself, before our one-line error.
  ort.env.logLevel = 'fatal';
  disableTelemetry();
  checkThreads(options);
  if (!existsSync(path)) throw new UserError(`model file not found: ${oneLine(path)}`);
  if (!statSync(path).isFile()) throw new UserError(`model ${oneLine(path)} is not a file; expected an .onnx file`);
  const providers = options.providers ?? ['cpu'];
  const skip = (provider: ExecutionProvider, why: string): Promise<OnnxSession> => {
    const rest = fallback(providers, provider, why);
    options.onWarning?.(`${why}; using ${rest.join(', ')}`);
    return createSession(path, { ...options, providers: rest });
  };
  for (const provider of providers) {
    const reason = knownUnavailable(provider);
    if (reason) return skip(provider, `execution provider "${provider}" is not available (${reason})`);
  }
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
    const why = failureReason(error);
    const failed = providers.find((p) => PROVIDER_FAILURES[p]?.test(why));
    if (failed) return skip(failed, `execution provider "${failed}" is not available (${why})`);
    throw new UserError(`cannot load model ${oneLine(path)}: not a valid ONNX file (${ortMessage(error)})`);
  }
}

export function createTensor(type: TensorType, data: TensorData, dims: readonly number[]): OnnxTensor {
  return new ort.Tensor(type, data, dims);
}
