/**
 * The sampling options users know from the reference's sample_ddim.py, and the config
 * key each one sets. The CLI's flags and the server's request fields both go through
 * this table, so they mean the same thing and are validated the same way.
 */
import type { Override } from './overrides.ts';

export interface RunOption {
  /** The reference's flag name (snake_case); kebab-case works too. */
  readonly name: string;
  readonly path: string;
  readonly kind: 'value' | 'flag' | 'list';
  readonly help: string;
  readonly metavar?: string;
}

export const RUN_OPTIONS: readonly RunOption[] = [
  { name: 'weights', path: 'sampler.weights', kind: 'value', metavar: 'MODEL.onnx', help: 'the ONNX model file' },
  { name: 'n_samples', path: 'sampler.n_samples', kind: 'value', metavar: 'N', help: 'images (sample), pairs (interpolate) or inputs (reconstruction); default: the config\'s, else 16' },
  { name: 'save_dir', path: 'sampler.save_dir', kind: 'value', metavar: 'DIR', help: 'where PNGs, run.json and .npy files go' },
  { name: 'seed', path: 'seed', kind: 'value', metavar: 'SEED', help: 'noise seed: sample i always gets the same noise' },
  { name: 'ddim_eta', path: 'diffusion.params.eta', kind: 'value', metavar: 'ETA', help: 'eta in [0, 1]: 0 is deterministic DDIM, 1 is DDPM-like' },
  { name: 'skip_type', path: 'diffusion.params.skip_type', kind: 'value', metavar: 'NAME', help: 'timestep schedule: uniform, quad, linspace, trailing, uniform-linspace, uniform-trailing, quad-float32 or a plugin' },
  { name: 'skip_steps', path: 'diffusion.params.skip_steps', kind: 'value', metavar: 'K', help: 'number of sampling steps (default: the config\'s; every timestep if it sets none)' },
  { name: 'respace_type', path: 'diffusion.params.respace_type', kind: 'value', metavar: 'TYPE', help: 'the current original code base\'s schedule names: uniform, uniform-leading, uniform-linspace, uniform-trailing, quad, none' },
  { name: 'respace_steps', path: 'diffusion.params.respace_steps', kind: 'value', metavar: 'K', help: 'the same as --skip_steps (the current original code base\'s name)' },
  { name: 'micro_batch', path: 'sampler.micro_batch', kind: 'value', metavar: 'M', help: 'samples per model call (default 500, capped by n_samples)' },
  { name: 'mode', path: 'sampler.mode', kind: 'value', metavar: 'MODE', help: 'sample, interpolate, reconstruction, sdedit, inpaint, ilvr, trajectory or a plugin' },
  { name: 'n_interpolate', path: 'sampler.n_interpolate', kind: 'value', metavar: 'K', help: 'frames per interpolation row, both ends included (default 16)' },
  { name: 'input_dir', path: 'sampler.input_dir', kind: 'value', metavar: 'DIR', help: 'input images of reconstruction, sdedit, inpaint, ilvr (PNG/JPEG/WebP, recursive, sorted)' },
  { name: 'mask_dir', path: 'sampler.mask_dir', kind: 'value', metavar: 'DIR', help: 'inpaint: one mask per input image, same relative name (white = keep)' },
  { name: 'mask', path: 'sampler.mask', kind: 'value', metavar: 'FILE', help: 'inpaint: one mask for every input image (white = keep)' },
  { name: 'noise', path: 'sampler.noise', kind: 'value', metavar: 'FILE.npy', help: 'initial noises [N,C,H,W] instead of seeded ones' },
  { name: 'guidance_scale', path: 'sampler.guidance_scale', kind: 'value', metavar: 'S', help: 'classifier-free guidance of a conditional model: 0 unconditional, 1 conditional (default), > 1 guided' },
  { name: 'guidance', path: 'sampler.guidance', kind: 'value', metavar: 'NAME', help: "guidance rule of a guided run: cfg (the original's, default) or a plugin; its options under sampler.options.NAME" },
  { name: 'n_samples_each_class', path: 'sampler.n_samples_each_class', kind: 'value', metavar: 'K', help: 'conditional model: K images of every class, written to class{c}/{idx}.png' },
  { name: 'class', path: 'sampler.class', kind: 'value', metavar: 'C', help: 'conditional model: the class (index or name) of every image' },
  { name: 'classes', path: 'sampler.classes', kind: 'list', metavar: 'C', help: 'conditional model: the class (index or name) of each item in turn (repeat the flag); sets n_samples to their number' },
  { name: 'save_npy', path: 'sampler.save_npy', kind: 'flag', help: 'also write samples.npy (and latents.npy)' },
  { name: 'backend', path: 'sampler.backend', kind: 'value', metavar: 'native|web', help: 'model backend: onnxruntime-node (native, default) or onnxruntime-web (WebAssembly)' },
  { name: 'provider', path: 'sampler.providers', kind: 'list', metavar: 'cpu|cuda|webgpu', help: 'execution provider (repeat for a fallback order)' },
  { name: 'threads', path: 'sampler.intra_op_threads', kind: 'value', metavar: 'N', help: 'onnxruntime intra-op threads (0: one per core)' },
  { name: 'shard', path: 'sampler.shard', kind: 'value', metavar: 'K/N|auto', help: 'compute only shard K of N (0-based) of the items into a shared --save_dir; auto: K and N from JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_*' },
  { name: 'shards', path: 'sampler.shards', kind: 'value', metavar: 'N', help: 'with --shard auto: the shard count where the engine gives none (Kubernetes; or DDIM_SHARDS)' },
  { name: 'plugin', path: 'plugins', kind: 'list', metavar: 'MODULE', help: 'load a plugin module (path or package); repeatable' },
];

const BY_NAME = new Map(RUN_OPTIONS.map((option) => [option.name, option]));

/** The option called `name` (snake_case or kebab-case), if any. */
export function findRunOption(name: string): RunOption | undefined {
  return BY_NAME.get(name.replaceAll('-', '_'));
}

/** Overrides for option values given by name, e.g. from a request body. */
export function runOptionOverrides(values: Record<string, unknown>, originPrefix = ''): Override[] {
  const overrides: Override[] = [];
  for (const [name, value] of Object.entries(values)) {
    const option = findRunOption(name);
    if (option && value !== undefined) overrides.push({ path: option.path, value, origin: `${originPrefix}${name}` });
  }
  return overrides;
}
