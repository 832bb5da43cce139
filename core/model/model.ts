/** The small interface the rest of the toolkit sees of a diffusion network. */

export type TimestepType = 'int64' | 'int32' | 'float32' | 'float64';
/** What a session runs on: the native backend's cpu and cuda, the web backend's wasm and webgpu. */
export type ExecutionProvider = 'cpu' | 'cuda' | 'wasm' | 'webgpu';
/**
 * The providers a config may ask for. The native backend runs cpu, cuda and webgpu (Dawn:
 * Vulkan, Metal or D3D12); the web backend runs webgpu where an adapter exists, else wasm.
 */
export const EXECUTION_PROVIDERS: readonly ExecutionProvider[] = ['cpu', 'cuda', 'webgpu'];
/** Model backends: onnxruntime-node (native addon) or onnxruntime-web (WebAssembly). */
export type ModelBackend = 'native' | 'web';
export const MODEL_BACKENDS: readonly ModelBackend[] = ['native', 'web'];

/** The label input of a class-conditional network: integer labels [B]. */
export interface ClassInput {
  readonly name: string;
  readonly type: 'int64' | 'int32';
  /** The label fed for "no class" (unconditional rows): −1 unless model.null_class or the model card says otherwise. */
  readonly nullClass: number;
}

export interface ModelInfo {
  /** The model file, as given. */
  readonly path: string;
  readonly inputName: string;
  readonly timestepName: string;
  readonly outputName: string;
  readonly timestepType: TimestepType;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  /** Output values per sample: channels·H·W, or twice that for learned-variance models. */
  readonly outputSize: number;
  /** The class-label input of a conditional network (x, t, y); absent for (x, t) networks. */
  readonly classInput?: ClassInput;
  /** Execution providers the session was created with, in priority order: after a fallback, those that ran. */
  readonly providers: readonly ExecutionProvider[];
}

export interface DiffusionModel {
  readonly info: ModelInfo;
  /**
   * Evaluate the network on `batch` samples of x (batch·C·H·W values) at per-sample
   * timesteps. The returned array is owned by the model and valid until the next call.
   * `labels` (one per sample) feed a conditional network's class input; without them, or
   * for a label < 0, it gets its null class. A two-input network ignores them.
   */
  run(x: Float32Array, timesteps: ArrayLike<number>, batch: number, labels?: ArrayLike<number>): Promise<Float32Array>;
  dispose(): Promise<void>;
}

export interface ModelOptions {
  readonly providers?: readonly ExecutionProvider[];
  /** Threads inside one operator (0: onnxruntime picks, one per core). */
  readonly intraOpThreads?: number;
  /** Threads across independent operators. */
  readonly interOpThreads?: number;
  /** Receives non-fatal notes, e.g. a fallback from CUDA or WebGPU to CPU. */
  readonly onWarning?: (message: string) => void;
  /** Expected input geometry (from the config): checked before any sampling. */
  readonly expect?: { readonly channels: number; readonly size: number };
  /** The label a conditional network takes for "no class" (default −1: the export tool's masked embedding). */
  readonly nullClass?: number;
}
