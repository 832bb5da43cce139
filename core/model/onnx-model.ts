/**
 * The one module that talks to onnxruntime. Everything else sees DiffusionModel.
 */
import { existsSync, statSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { UserError } from '../errors.ts';
import type { DiffusionModel, ExecutionProvider, ModelInfo, ModelOptions, TimestepType } from './model.ts';

const TIMESTEP_TYPES: readonly TimestepType[] = ['int64', 'int32', 'float32', 'float64'];

type TimestepArray = BigInt64Array | Int32Array | Float32Array | Float64Array;

function timestepArray(type: TimestepType, length: number): TimestepArray {
  switch (type) {
    case 'int64':
      return new BigInt64Array(length);
    case 'int32':
      return new Int32Array(length);
    case 'float32':
      return new Float32Array(length);
    case 'float64':
      return new Float64Array(length);
  }
}

function tensorMetadata(session: ort.InferenceSession, name: string, input: boolean) {
  const list = input ? session.inputMetadata : session.outputMetadata;
  const meta = list.find((m) => m.name === name);
  return meta && meta.isTensor ? meta : undefined;
}

function staticDim(dim: number | string | undefined): number | undefined {
  return typeof dim === 'number' && dim > 0 ? dim : undefined;
}

async function createSession(path: string, options: ModelOptions): Promise<ort.InferenceSession> {
  if (!existsSync(path) || !statSync(path).isFile()) throw new UserError(`model file not found: ${path}`);
  const providers = options.providers ?? ['cpu'];
  try {
    return await ort.InferenceSession.create(path, {
      executionProviders: [...providers],
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
      enableCpuMemArena: true,
      enableMemPattern: true,
      intraOpNumThreads: options.intraOpThreads ?? 0,
      interOpNumThreads: options.interOpThreads ?? 1,
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    if (providers.includes('cuda') && /cuda|provider/i.test(reason ?? '')) {
      throw new UserError(
        `execution provider "cuda" is not available (${reason}); valid here: cpu. ` +
          'CUDA needs onnxruntime-node installed with its CUDA binaries (onnxruntime-node-install=cuda12) on a machine with an NVIDIA GPU',
      );
    }
    throw new UserError(`cannot load model ${path}: not a valid ONNX file (${reason})`);
  }
}

/**
 * Load an ONNX diffusion network: `x` [B,C,H,W] float32 and a [B] timestep input
 * (int64, int32 or float, read from the model), one output.
 *
 * @example
 * const model = await loadOnnxModel('models/ddpm_fashion_mnist.onnx', { expect: { channels: 1, size: 32 } });
 */
export async function loadOnnxModel(path: string, options: ModelOptions = {}): Promise<DiffusionModel> {
  const session = await createSession(path, options);
  if (session.inputNames.length !== 2 || session.outputNames.length < 1) {
    await session.release();
    throw new UserError(
      `model ${path} has inputs [${session.inputNames.join(', ')}]; expected two: an image x [B,C,H,W] and a timestep t [B]`,
    );
  }
  // The image input is the 4-D one; the other is the timestep, whatever they are called.
  const metas = session.inputNames.map((name) => tensorMetadata(session, name, true));
  const imageIndex = metas.findIndex((m) => m !== undefined && m.shape.length === 4);
  const imageMeta = metas[imageIndex === -1 ? 0 : imageIndex];
  const timeMeta = metas[imageIndex === -1 ? 1 : 1 - imageIndex];
  const inputName = session.inputNames[imageIndex === -1 ? 0 : imageIndex]!;
  const timestepName = session.inputNames[imageIndex === -1 ? 1 : 1 - imageIndex]!;
  const timestepType = (timeMeta?.type ?? 'int64') as TimestepType;
  if (!TIMESTEP_TYPES.includes(timestepType)) {
    await session.release();
    throw new UserError(`model ${path}: timestep input "${timestepName}" has type ${timestepType}; supported: ${TIMESTEP_TYPES.join(', ')}`);
  }
  const expect = options.expect;
  const channels = staticDim(imageMeta?.shape[1]) ?? expect?.channels;
  const height = staticDim(imageMeta?.shape[2]) ?? expect?.size;
  const width = staticDim(imageMeta?.shape[3]) ?? expect?.size;
  if (channels === undefined || height === undefined || width === undefined) {
    await session.release();
    throw new UserError(`model ${path}: input "${inputName}" has no static shape; give data.img_channels and data.img_size in the config`);
  }
  if (expect && (channels !== expect.channels || height !== expect.size || width !== expect.size)) {
    await session.release();
    throw new UserError(
      `model ${path} takes ${inputName} [B,${channels},${height},${width}] but the config says ` +
        `data.img_channels=${expect.channels}, data.img_size=${expect.size}`,
    );
  }
  const outputName = session.outputNames[0]!;
  const size = channels * height * width;

  let timesteps = timestepArray(timestepType, 0);
  const setTimesteps = (values: ArrayLike<number>, batch: number): TimestepArray => {
    if (timesteps.length !== batch) timesteps = timestepArray(timestepType, batch);
    if (timesteps instanceof BigInt64Array) for (let i = 0; i < batch; i++) timesteps[i] = BigInt(values[i]!);
    else for (let i = 0; i < batch; i++) timesteps[i] = values[i]!;
    return timesteps;
  };

  const runRaw = async (x: Float32Array, t: ArrayLike<number>, batch: number): Promise<ort.Tensor> => {
    const feeds: Record<string, ort.Tensor> = {
      [inputName]: new ort.Tensor('float32', x.length === batch * size ? x : x.subarray(0, batch * size), [batch, channels, height, width]),
      [timestepName]: new ort.Tensor(timestepType, setTimesteps(t, batch), [batch]),
    };
    const results = await session.run(feeds);
    return results[outputName]!;
  };

  // One probe call checks what the metadata cannot (symbolic dims, output shape) before sampling starts.
  let outputSize: number;
  try {
    const probe = await runRaw(new Float32Array(size), [0], 1);
    const dims = probe.dims;
    outputSize = probe.data.length;
    const spatialOk = dims.length === 4 && dims[2] === height && dims[3] === width;
    if (probe.type !== 'float32' || !spatialOk || (dims[1] !== channels && dims[1] !== 2 * channels)) {
      throw new UserError(
        `model ${path}: output "${outputName}" is ${probe.type} [${dims.join(',')}]; expected float32 [B,${channels},${height},${width}] ` +
          `(or [B,${2 * channels},${height},${width}] with learned variance)`,
      );
    }
    probe.dispose();
  } catch (error) {
    await session.release();
    if (error instanceof UserError) throw error;
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new UserError(
      `model ${path} does not accept ${inputName} [1,${channels},${height},${width}] float32 with ${timestepName} [1] ${timestepType}: ${reason}`,
    );
  }

  const info: ModelInfo = {
    path,
    inputName,
    timestepName,
    outputName,
    timestepType,
    channels,
    height,
    width,
    outputSize,
    providers: (options.providers ?? ['cpu']) as readonly ExecutionProvider[],
  };
  let disposed = false;
  return {
    info,
    async run(x, t, batch) {
      if (disposed) throw new Error('model used after dispose()');
      const out = await runRaw(x, t, batch);
      return out.data as Float32Array;
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      await session.release();
    },
  };
}
