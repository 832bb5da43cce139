/** The ONNX backend of FeatureModel: one image input, a features and/or a class-logits output. */
import { firstLine, UserError } from '../errors.ts';
import { nearest } from '../suggest.ts';
import type { FeatureInputType, FeatureModel, FeatureModelInfo, FeatureModelOptions } from './feature-model.ts';
import { type InferenceSession, type OnnxTensor, createSession, createTensor, releaseOnError, staticDim, tensorMetadata } from './onnx-session.ts';

/** What the image input takes: its name, element type and geometry. */
interface FeatureInput {
  readonly inputName: string;
  readonly inputType: FeatureInputType;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  readonly fixedBatch: number | undefined;
}

/** The outputs the model is read through; at least one of them is named. */
interface FeatureOutputs {
  readonly featuresName: string | undefined;
  readonly logitsName: string | undefined;
}

function readInput(session: InferenceSession, path: string, imageSize: number | undefined): FeatureInput {
  if (session.inputNames.length !== 1) {
    throw new UserError(`feature model ${path} has inputs [${session.inputNames.join(', ')}]; expected one image input [B,C,H,W]`);
  }
  const inputName = session.inputNames[0]!;
  const meta = tensorMetadata(session, inputName, true);
  if (!meta || meta.shape.length !== 4) throw new UserError(`feature model ${path}: input "${inputName}" is not an image tensor [B,C,H,W]`);
  const inputType = meta.type as string;
  if (inputType !== 'float32' && inputType !== 'uint8') throw new UserError(`feature model ${path}: input "${inputName}" is ${inputType}; supported: float32, uint8`);
  const shape = meta.shape;
  const channels = staticDim(shape[1]);
  const [fixedHeight, fixedWidth] = [staticDim(shape[2]), staticDim(shape[3])];
  const height = fixedHeight ?? imageSize;
  const width = fixedWidth ?? imageSize;
  if (channels === undefined) throw new UserError(`feature model ${path}: input "${inputName}" has no fixed channel count`);
  if (height === undefined || width === undefined) {
    throw new UserError(`feature model ${path}: input "${inputName}" has no fixed height and width; give the image size (--image_size)`);
  }
  if (imageSize !== undefined && ((fixedHeight ?? imageSize) !== imageSize || (fixedWidth ?? imageSize) !== imageSize)) {
    throw new UserError(`--image_size ${imageSize}: feature model ${path} fixes its input at ${fixedHeight ?? 'any'}×${fixedWidth ?? 'any'} (images are resized to that)`);
  }
  return { inputName, inputType, channels, height, width, fixedBatch: staticDim(shape[0]) };
}

/** Picks the named output, or a default; undefined when `name` is not given and the default is absent. */
function pickOutput(path: string, outputs: readonly string[], name: string | undefined, fallback: string | undefined, flag: string): string | undefined {
  if (name === undefined) return fallback !== undefined && outputs.includes(fallback) ? fallback : undefined;
  if (outputs.includes(name)) return name;
  const hint = nearest(name, outputs);
  throw new UserError(`feature model ${path} has no output "${name}" (${flag})${hint ? `; did you mean "${hint}"?` : ''}; its outputs: [${outputs.join(', ')}]`);
}

function chooseOutputs(path: string, outputs: readonly string[], options: FeatureModelOptions): FeatureOutputs {
  const logitsName = pickOutput(path, outputs, options.logitsOutput, 'logits', '--logits_output');
  const onlyOther = outputs.length === 1 && outputs[0] !== logitsName ? outputs[0] : undefined;
  const featuresName = pickOutput(path, outputs, options.featuresOutput, outputs.includes('features') ? 'features' : onlyOther, '--features_output');
  if (featuresName === undefined && logitsName === undefined) {
    throw new UserError(`feature model ${path}: name its features and/or logits output (--features_output, --logits_output); its outputs: [${outputs.join(', ')}]`);
  }
  return { featuresName, logitsName };
}

type RunFeatures = (images: Float32Array, batch: number) => Promise<Record<string, Float32Array>>;

/** Maps [-1, 1] images to the input's type and range in buffers that grow to the largest batch seen. */
function inputWriter(input: FeatureInput, [low, high]: readonly [number, number]): (images: Float32Array, batch: number, rows: number) => OnnxTensor {
  const { inputType, channels, height, width } = input;
  const plane = channels * height * width;
  const capacity = input.fixedBatch ?? 0;
  let floatInput = new Float32Array(capacity * plane);
  let byteInput = new Uint8Array(inputType === 'uint8' ? capacity * plane : 0);
  return (images, batch, rows) => {
    const n = batch * plane;
    if (inputType === 'uint8') {
      if (byteInput.length < rows * plane) byteInput = new Uint8Array(rows * plane);
      for (let i = 0; i < n; i++) {
        const v = Math.round((images[i]! + 1) * 127.5);
        byteInput[i] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
      byteInput.fill(0, n, rows * plane);
      return createTensor('uint8', byteInput.subarray(0, rows * plane), [rows, channels, height, width]);
    }
    if (floatInput.length < rows * plane) floatInput = new Float32Array(rows * plane);
    const scale = (high - low) / 2;
    for (let i = 0; i < n; i++) floatInput[i] = low + (images[i]! + 1) * scale;
    floatInput.fill(0, n, rows * plane);
    return createTensor('float32', floatInput.subarray(0, rows * plane), [rows, channels, height, width]);
  };
}

function featureRunner(session: InferenceSession, path: string, input: FeatureInput, outputs: FeatureOutputs, range: readonly [number, number]): RunFeatures {
  const { fixedBatch } = input;
  const writeInput = inputWriter(input, range);
  const wanted = [outputs.featuresName, outputs.logitsName].filter((n): n is string => n !== undefined);
  return async (images, batch) => {
    // A model exported with a fixed batch size gets the batch padded with zeros.
    const rows = fixedBatch ?? batch;
    if (fixedBatch !== undefined && batch > fixedBatch) throw new Error(`feature model takes at most ${fixedBatch} images per run`);
    const results = await session.run({ [input.inputName]: writeInput(images, batch, rows) }, wanted);
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
}

/** One probe run checks what the metadata cannot (symbolic dims, output sizes) before any image is read. */
async function probeSizes(run: RunFeatures, path: string, input: FeatureInput, outputs: FeatureOutputs): Promise<{ featureDim: number; classes: number }> {
  const { featuresName, logitsName } = outputs;
  const { inputName, inputType, channels, height, width } = input;
  try {
    const probe = await run(new Float32Array(channels * height * width), 1);
    const featureDim = featuresName === undefined ? 0 : probe[featuresName]!.length;
    const classes = logitsName === undefined ? 0 : probe[logitsName]!.length;
    if (logitsName !== undefined && classes < 2) throw new UserError(`feature model ${path}: output "${logitsName}" has ${classes} value(s) per image; class logits need at least 2`);
    return { featureDim, classes };
  } catch (error) {
    if (error instanceof UserError) throw error;
    const reason = firstLine(error);
    throw new UserError(`feature model ${path} does not accept ${inputName} [1,${channels},${height},${width}] ${inputType}: ${reason}`);
  }
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
  const { session } = await createSession(path, options);
  const [low, high] = options.inputRange ?? [-1, 1];
  const { input, outputs, run, sizes } = await releaseOnError(session, async () => {
    const input = readInput(session, path, options.imageSize);
    const outputs = chooseOutputs(path, session.outputNames, options);
    const run = featureRunner(session, path, input, outputs, [low, high]);
    return { input, outputs, run, sizes: await probeSizes(run, path, input, outputs) };
  });
  const { featuresName, logitsName } = outputs;
  const info: FeatureModelInfo = {
    path,
    inputName: input.inputName,
    inputType: input.inputType,
    inputRange: input.inputType === 'uint8' ? [0, 255] : [low, high],
    channels: input.channels,
    height: input.height,
    width: input.width,
    fixedBatch: input.fixedBatch,
    features: featuresName === undefined ? undefined : { name: featuresName, dim: sizes.featureDim },
    logits: logitsName === undefined ? undefined : { name: logitsName, classes: sizes.classes },
    outputNames: session.outputNames,
  };
  let disposed = false;
  return {
    info,
    async run(images, batch) {
      if (disposed) throw new Error('feature model used after dispose()');
      const out = await run(images, batch);
      return { features: featuresName === undefined ? undefined : out[featuresName], logits: logitsName === undefined ? undefined : out[logitsName] };
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      await session.release();
    },
  };
}
