/** A DiffusionModel over an ONNX session of either backend: an image input x [B,C,H,W] and a timestep input t [B]. */
import { UserError, oneLine } from '../errors.ts';
import type { ClassInput, DiffusionModel, ExecutionProvider, ModelInfo, ModelOptions, TimestepType } from './model.ts';
import { type InferenceSession, type OnnxTensor, type TensorData, type TensorType, ortMessage, releaseOnError, staticDim, tensorMetadata } from './onnx-common.ts';

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

/**
 * Writes a call's values into a reused array of the input's type: it grows to the largest
 * batch seen, and smaller batches (the server's mixed ones) get a view of it. With `none`
 * (class labels), missing values and those < 0 are written as `none` (the null class).
 */
function feedWriter(type: TimestepType, none?: number): (values: ArrayLike<number> | undefined, batch: number) => TimestepArray {
  let array = timestepArray(type, 0);
  return (values, batch) => {
    if (array.length < batch) array = timestepArray(type, batch);
    for (let i = 0; i < batch; i++) {
      const value = none !== undefined && (values === undefined || values[i]! < 0) ? none : values![i]!;
      if (array instanceof BigInt64Array) array[i] = BigInt(value);
      else array[i] = value;
    }
    return array.length === batch ? array : array.subarray(0, batch);
  };
}

/** Names, types and geometry of a diffusion network's inputs and output. */
type DiffusionSignature = Omit<ModelInfo, 'path' | 'outputSize' | 'providers'>;

type InputMeta = ReturnType<typeof tensorMetadata>;

const LABEL_TYPES = ['int64', 'int32'] as const;
const LABEL_NAME = /^(y|labels?|class(es)?|class_labels?|cond(ition)?|c)$/i;
const TIMESTEP_NAME = /^(t|timesteps?|time|sigmas?|noise_labels?)$/i;

/**
 * Which of the two non-image inputs of an (x, t, y) network is the timestep and which the
 * class label: their names say (t, timestep / y, label, class); else a float input is the
 * timestep; else the order of the original's forward(X, T, y).
 */
function timestepAndLabel(names: readonly string[], metas: readonly InputMeta[], rest: readonly number[]): [number, number] {
  const [a, b] = rest as [number, number];
  if (LABEL_NAME.test(names[a]!) || TIMESTEP_NAME.test(names[b]!)) return [b, a];
  if (LABEL_NAME.test(names[b]!) || TIMESTEP_NAME.test(names[a]!)) return [a, b];
  const isFloat = (i: number) => metas[i]?.type === 'float32' || metas[i]?.type === 'float64';
  if (isFloat(a) !== isFloat(b)) return isFloat(a) ? [a, b] : [b, a];
  return [a, b];
}

function describeInputs(session: InferenceSession): string {
  return session.inputNames.map(oneLine).join(', ');
}

/** Reads the signature from the file's metadata, with the config's geometry where the file leaves it open. */
function readSignature(session: InferenceSession, path: string, options: ModelOptions): DiffusionSignature {
  const { expect } = options;
  const count = session.inputNames.length;
  if ((count !== 2 && count !== 3) || session.outputNames.length < 1) {
    throw new UserError(
      `model ${path} has inputs [${describeInputs(session)}]; expected an image x [B,C,H,W], a timestep t [B] and, for a class-conditional network, labels y [B]`,
    );
  }
  // The image input is the 4-D one; the others are the timestep and the labels, whatever they are called.
  const metas = session.inputNames.map((name) => tensorMetadata(session, name, true));
  const found = metas.findIndex((m) => m !== undefined && m.shape.length === 4);
  const imageIndex = found === -1 ? 0 : found;
  const imageMeta = metas[imageIndex];
  const inputName = session.inputNames[imageIndex]!;
  const rest = session.inputNames.map((_, i) => i).filter((i) => i !== imageIndex);
  const [timestepIndex, labelIndex] = count === 3 ? timestepAndLabel(session.inputNames, metas, rest) : [rest[0]!, -1];
  const timestepName = session.inputNames[timestepIndex]!;
  const timestepType = (metas[timestepIndex]?.type ?? 'int64') as TimestepType;
  if (!TIMESTEP_TYPES.includes(timestepType)) {
    throw new UserError(`model ${path}: timestep input "${oneLine(timestepName)}" has type ${timestepType}; supported: ${TIMESTEP_TYPES.join(', ')}`);
  }
  const classInput = labelIndex === -1 ? undefined : readClassInput(session.inputNames[labelIndex]!, metas[labelIndex], path, options.nullClass ?? -1);
  const channels = staticDim(imageMeta?.shape[1]) ?? expect?.channels;
  const height = staticDim(imageMeta?.shape[2]) ?? expect?.size;
  const width = staticDim(imageMeta?.shape[3]) ?? expect?.size;
  if (channels === undefined || height === undefined || width === undefined) {
    throw new UserError(`model ${path}: input "${oneLine(inputName)}" has no static shape; give data.img_channels and data.img_size in the config`);
  }
  if (expect && (channels !== expect.channels || height !== expect.size || width !== expect.size)) {
    throw new UserError(
      `model ${path} takes ${oneLine(inputName)} [B,${channels},${height},${width}] but the config says ` +
        `data.img_channels=${expect.channels}, data.img_size=${expect.size}`,
    );
  }
  const signature = { inputName, timestepName, outputName: session.outputNames[0]!, timestepType, channels, height, width };
  return classInput ? { ...signature, classInput } : signature;
}

function readClassInput(name: string, meta: InputMeta, path: string, nullClass: number): ClassInput {
  const type = meta?.type ?? 'int64';
  if (!(LABEL_TYPES as readonly string[]).includes(type) || (meta && meta.shape.length !== 1)) {
    throw new UserError(
      `model ${path}: class input "${oneLine(name)}" is ${type} [${meta?.shape.join(',') ?? ''}]; expected integer labels [B] (int64 or int32)`,
    );
  }
  return { name, type: type as ClassInput['type'], nullClass };
}

type RunDiffusion = (x: Float32Array, t: ArrayLike<number>, batch: number, labels?: ArrayLike<number>) => Promise<OnnxTensor>;

/** Makes a tensor of the onnxruntime package that made the session (node or web). */
export type TensorFactory = (type: TensorType, data: TensorData, dims: readonly number[]) => OnnxTensor;

function diffusionRunner(session: InferenceSession, signature: DiffusionSignature, createTensor: TensorFactory): RunDiffusion {
  const { inputName, timestepName, outputName, timestepType, channels, height, width } = signature;
  const size = channels * height * width;
  const setTimesteps = feedWriter(timestepType);
  const setLabels = feedWriter(signature.classInput?.type ?? 'int64', signature.classInput?.nullClass ?? -1);
  return async (x, t, batch, labels) => {
    const feeds: Record<string, OnnxTensor> = {
      [inputName]: createTensor('float32', x.length === batch * size ? x : x.subarray(0, batch * size), [batch, channels, height, width]),
      [timestepName]: createTensor(timestepType, setTimesteps(t, batch), [batch]),
    };
    if (signature.classInput) feeds[signature.classInput.name] = createTensor(signature.classInput.type, setLabels(labels, batch), [batch]);
    const results = await session.run(feeds);
    return results[outputName]!;
  };
}

/**
 * One probe call checks what the metadata cannot (symbolic dims, output shape) before
 * sampling starts; gives the output values per sample.
 */
async function probeOutputSize(run: RunDiffusion, signature: DiffusionSignature, path: string, fixedBatch: number | undefined): Promise<number> {
  const { inputName, timestepName, outputName, timestepType, channels, height, width } = signature;
  try {
    const probe = await run(new Float32Array(channels * height * width), [0], 1);
    const dims = probe.dims;
    const outputSize = probe.data.length;
    const spatialOk = dims.length === 4 && dims[0] === 1 && dims[2] === height && dims[3] === width;
    if (probe.type !== 'float32' || !spatialOk || (dims[1] !== channels && dims[1] !== 2 * channels)) {
      throw new UserError(
        `model ${path}: output "${oneLine(outputName)}" is ${probe.type} [${dims.join(',')}] for a batch of 1; expected float32 [B,${channels},${height},${width}] ` +
          `(or [B,${2 * channels},${height},${width}] with learned variance)`,
      );
    }
    probe.dispose();
    return outputSize;
  } catch (error) {
    if (error instanceof UserError) throw error;
    const reason = ortMessage(error);
    if (fixedBatch !== undefined && fixedBatch !== 1) {
      throw new UserError(
        `model ${path} takes a fixed batch of ${fixedBatch} (input "${oneLine(inputName)}" is [${fixedBatch},${channels},${height},${width}]); ` +
          'the sampler needs a batch dimension it can set (symbolic, e.g. "batch"), or a fixed batch of 1 with --micro_batch 1',
      );
    }
    const label = signature.classInput ? ` and ${oneLine(signature.classInput.name)} [1] = ${signature.classInput.nullClass} (the null class; model.null_class sets another)` : '';
    throw new UserError(
      `model ${path} does not accept ${oneLine(inputName)} [1,${channels},${height},${width}] float32 with ${oneLine(timestepName)} [1] ${timestepType}${label}: ${reason}`,
    );
  }
}

function firstNonFinite(values: Float32Array, length: number): number {
  for (let i = 0; i < length; i++) if (!Number.isFinite(values[i]!)) return i;
  return -1;
}

/**
 * Model calls past the probe: a batch the network refuses (a fixed batch size, memory it
 * cannot get) or an output of another size than the probe's is the model file's fault, and
 * ends the run with one line naming it instead of an onnxruntime stack trace or garbage.
 */
function checkedRunner(run: RunDiffusion, info: ModelInfo, fixedBatch: number | undefined): DiffusionModel['run'] {
  const { path, inputName, outputName, outputSize } = info;
  return async (x, t, batch, labels) => {
    const fed = firstNonFinite(x, batch * info.channels * info.height * info.width);
    if (fed !== -1) throw new UserError(`sampling diverged: the model's input holds ${x[fed]} at timestep ${t[0]}; check the diffusion parameters (β, η)`);
    let out: OnnxTensor;
    try {
      out = await run(x, t, batch, labels);
    } catch (error) {
      const reason = ortMessage(error);
      const hint = fixedBatch !== undefined && fixedBatch !== batch
        ? `; its input "${oneLine(inputName)}" has a fixed batch of ${fixedBatch}: give --micro_batch ${fixedBatch}`
        : /alloc|memory/i.test(reason) ? '; a smaller --micro_batch needs less memory' : '';
      throw new UserError(`model ${oneLine(path)} failed on a batch of ${batch}: ${reason}${hint}`);
    }
    if (out.type !== 'float32' || out.data.length !== batch * outputSize) {
      throw new UserError(
        `model ${oneLine(path)}: output "${oneLine(outputName)}" is ${out.type} [${out.dims.join(',')}] for a batch of ${batch}; ` +
          `expected float32 with ${outputSize} values per sample, as for a batch of 1`,
      );
    }
    const data = out.data as Float32Array;
    // NaN or ±∞ from the network would pass through every later step into black images.
    const bad = firstNonFinite(data, data.length);
    if (bad !== -1) {
      const sample = Math.floor(bad / outputSize);
      throw new UserError(`model ${oneLine(path)} returned ${data[bad]} (sample ${sample} of a batch of ${batch}, timestep ${t[sample]}) for finite inputs; its output must be finite`);
    }
    return data;
  };
}

/**
 * A DiffusionModel over an open session of either onnxruntime package: the signature read
 * and checked, one probe call, and every later call checked. The session is released on failure.
 */
export async function diffusionModelOf(
  session: InferenceSession,
  source: { readonly path: string; readonly providers: readonly ExecutionProvider[]; readonly createTensor: TensorFactory },
  options: ModelOptions,
): Promise<DiffusionModel> {
  const { path, providers, createTensor } = source;
  const { signature, run, fixedBatch, outputSize } = await releaseOnError(session, async () => {
    // Messages quote the path and the file's names on one line, whatever they hold.
    const shown = oneLine(path);
    const signature = readSignature(session, shown, options);
    const fixedBatch = staticDim(tensorMetadata(session, signature.inputName, true)?.shape[0]);
    const run = diffusionRunner(session, signature, createTensor);
    return { signature, run, fixedBatch, outputSize: await probeOutputSize(run, signature, shown, fixedBatch) };
  });
  const info: ModelInfo = { path, ...signature, outputSize, providers };
  const checked = checkedRunner(run, info, fixedBatch);
  let disposed = false;
  return {
    info,
    async run(x, t, batch, labels) {
      if (disposed) throw new Error('model used after dispose()');
      return checked(x, t, batch, labels);
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      await session.release();
    },
  };
}
