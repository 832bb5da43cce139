/**
 * The one module that talks to onnxruntime. Everything else sees DiffusionModel
 * (or, for evaluation, FeatureModel).
 */
import { existsSync, statSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { firstLine, UserError } from '../errors.ts';
import type { FeatureModel, FeatureModelInfo, FeatureModelOptions } from '../eval/feature-model.ts';
import { nearest } from '../suggest.ts';
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

/** The providers each session really got (after a CUDA fallback, fewer than asked for). */
const sessionProviders = new WeakMap<ort.InferenceSession, readonly ExecutionProvider[]>();

async function createSession(path: string, options: ModelOptions): Promise<ort.InferenceSession> {
  // onnxruntime's native logger would print provider failures itself, before our one-line error.
  ort.env.logLevel = 'fatal';
  if (!existsSync(path) || !statSync(path).isFile()) throw new UserError(`model file not found: ${path}`);
  const create = (providers: readonly ExecutionProvider[]) =>
    ort.InferenceSession.create(path, {
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
  const providers = options.providers ?? ['cpu'];
  try {
    const session = await create(providers);
    sessionProviders.set(session, providers);
    return session;
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

  // Grows to the largest batch seen; smaller batches (the server's mixed ones) use a view of it.
  let timesteps = timestepArray(timestepType, 0);
  const setTimesteps = (values: ArrayLike<number>, batch: number): TimestepArray => {
    if (timesteps.length < batch) timesteps = timestepArray(timestepType, batch);
    if (timesteps instanceof BigInt64Array) for (let i = 0; i < batch; i++) timesteps[i] = BigInt(values[i]!);
    else for (let i = 0; i < batch; i++) timesteps[i] = values[i]!;
    return timesteps.length === batch ? timesteps : timesteps.subarray(0, batch);
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
    const reason = firstLine(error);
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
    providers: sessionProviders.get(session) ?? ['cpu'],
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

/** Picks the named output, or a default; undefined when `name` is not given and the default is absent. */
function pickOutput(path: string, outputs: readonly string[], name: string | undefined, fallback: string | undefined, flag: string): string | undefined {
  if (name === undefined) return fallback !== undefined && outputs.includes(fallback) ? fallback : undefined;
  if (outputs.includes(name)) return name;
  const hint = nearest(name, outputs);
  throw new UserError(`feature model ${path} has no output "${name}" (${flag})${hint ? `; did you mean "${hint}"?` : ''}; its outputs: [${outputs.join(', ')}]`);
}

/**
 * Load an ONNX feature / classifier network for evaluation: one image input [B,C,H,W]
 * (float32 or uint8), a features output ([B,D] or [B,D,1,1]) and/or a class-logits output.
 *
 * @example
 * const model = await loadOnnxFeatureModel('models/fashion_mnist_classifier.onnx');
 * const { features, logits } = await model.run(images, 16);
 */
export async function loadOnnxFeatureModel(path: string, options: FeatureModelOptions = {}): Promise<FeatureModel> {
  const session = await createSession(path, options);
  const fail = async (message: string): Promise<never> => {
    await session.release();
    throw new UserError(message);
  };
  if (session.inputNames.length !== 1) {
    await fail(`feature model ${path} has inputs [${session.inputNames.join(', ')}]; expected one image input [B,C,H,W]`);
  }
  const inputName = session.inputNames[0]!;
  const meta = tensorMetadata(session, inputName, true);
  if (!meta || meta.shape.length !== 4) {
    await fail(`feature model ${path}: input "${inputName}" is not an image tensor [B,C,H,W]`);
  }
  const inputType = meta!.type as string;
  if (inputType !== 'float32' && inputType !== 'uint8') await fail(`feature model ${path}: input "${inputName}" is ${inputType}; supported: float32, uint8`);
  const shape = meta!.shape;
  const channels = staticDim(shape[1]);
  const height = staticDim(shape[2]) ?? options.imageSize;
  const width = staticDim(shape[3]) ?? options.imageSize;
  if (channels === undefined) await fail(`feature model ${path}: input "${inputName}" has no fixed channel count`);
  if (height === undefined || width === undefined) {
    await fail(`feature model ${path}: input "${inputName}" has no fixed height and width; give the image size (--image_size)`);
  }
  const [fixedHeight, fixedWidth] = [staticDim(shape[2]), staticDim(shape[3])];
  if (options.imageSize !== undefined && ((fixedHeight ?? options.imageSize) !== options.imageSize || (fixedWidth ?? options.imageSize) !== options.imageSize)) {
    await fail(`--image_size ${options.imageSize}: feature model ${path} fixes its input at ${fixedHeight ?? 'any'}×${fixedWidth ?? 'any'} (images are resized to that)`);
  }
  const fixedBatch = staticDim(shape[0]);
  const outputs = session.outputNames;
  let featuresName: string | undefined;
  let logitsName: string | undefined;
  try {
    logitsName = pickOutput(path, outputs, options.logitsOutput, 'logits', '--logits_output');
    const onlyOther = outputs.length === 1 && outputs[0] !== logitsName ? outputs[0] : undefined;
    featuresName = pickOutput(path, outputs, options.featuresOutput, outputs.includes('features') ? 'features' : onlyOther, '--features_output');
  } catch (error) {
    await session.release();
    throw error;
  }
  if (featuresName === undefined && logitsName === undefined) {
    await fail(`feature model ${path}: name its features and/or logits output (--features_output, --logits_output); its outputs: [${outputs.join(', ')}]`);
  }

  const [low, high] = options.inputRange ?? [-1, 1];
  const plane = channels! * height! * width!;
  const capacity = fixedBatch ?? 0;
  let floatInput = new Float32Array(capacity * plane);
  let byteInput = new Uint8Array(inputType === 'uint8' ? capacity * plane : 0);
  const wanted = [featuresName, logitsName].filter((n): n is string => n !== undefined);

  const runRaw = async (images: Float32Array, batch: number): Promise<Record<string, Float32Array>> => {
    // A model exported with a fixed batch size gets the batch padded with zeros.
    const rows = fixedBatch ?? batch;
    if (fixedBatch !== undefined && batch > fixedBatch) throw new Error(`feature model takes at most ${fixedBatch} images per run`);
    let tensor: ort.Tensor;
    if (inputType === 'uint8') {
      if (byteInput.length < rows * plane) byteInput = new Uint8Array(rows * plane);
      const n = batch * plane;
      for (let i = 0; i < n; i++) {
        const v = Math.round((images[i]! + 1) * 127.5);
        byteInput[i] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
      byteInput.fill(0, n, rows * plane);
      tensor = new ort.Tensor('uint8', byteInput.subarray(0, rows * plane), [rows, channels!, height!, width!]);
    } else {
      if (floatInput.length < rows * plane) floatInput = new Float32Array(rows * plane);
      const n = batch * plane;
      const scale = (high - low) / 2;
      for (let i = 0; i < n; i++) floatInput[i] = low + (images[i]! + 1) * scale;
      floatInput.fill(0, n, rows * plane);
      tensor = new ort.Tensor('float32', floatInput.subarray(0, rows * plane), [rows, channels!, height!, width!]);
    }
    const results = await session.run({ [inputName]: tensor }, wanted);
    const out: Record<string, Float32Array> = {};
    for (const name of wanted) {
      const value = results[name]!;
      if (value.type !== 'float32' && value.type !== 'float64') throw new UserError(`feature model ${path}: output "${name}" is ${value.type}; expected float32`);
      if (value.dims[0] !== rows) throw new UserError(`feature model ${path}: output "${name}" has shape [${value.dims.join(',')}]; expected [${rows}, ...]`);
      const data = value.type === 'float32' ? (value.data as Float32Array) : Float32Array.from(value.data as Float64Array);
      out[name] = data.subarray(0, (data.length / rows) * batch);
    }
    return out;
  };

  // One probe run checks what the metadata cannot (symbolic dims, output sizes) before any image is read.
  let featureDim = 0;
  let classes = 0;
  try {
    const probe = await runRaw(new Float32Array(plane), 1);
    if (featuresName !== undefined) featureDim = probe[featuresName]!.length;
    if (logitsName !== undefined) classes = probe[logitsName]!.length;
    if (logitsName !== undefined && classes < 2) throw new UserError(`feature model ${path}: output "${logitsName}" has ${classes} value(s) per image; class logits need at least 2`);
  } catch (error) {
    await session.release();
    if (error instanceof UserError) throw error;
    const reason = firstLine(error);
    throw new UserError(`feature model ${path} does not accept ${inputName} [1,${channels},${height},${width}] ${inputType}: ${reason}`);
  }

  const info: FeatureModelInfo = {
    path,
    inputName,
    inputType: inputType as FeatureModelInfo['inputType'],
    inputRange: inputType === 'uint8' ? [0, 255] : [low, high],
    channels: channels!,
    height: height!,
    width: width!,
    fixedBatch,
    features: featuresName === undefined ? undefined : { name: featuresName, dim: featureDim },
    logits: logitsName === undefined ? undefined : { name: logitsName, classes },
    outputNames: outputs,
  };
  let disposed = false;
  return {
    info,
    async run(images, batch) {
      if (disposed) throw new Error('feature model used after dispose()');
      const out = await runRaw(images, batch);
      return { features: featuresName === undefined ? undefined : out[featuresName], logits: logitsName === undefined ? undefined : out[logitsName] };
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      await session.release();
    },
  };
}
