import { resolve } from 'node:path';

/** The repository root. */
export const ROOT = resolve(import.meta.dir, '../..');
/** Reference material the tests read, carried in the repository (origin: test/fixtures/reference/README.md). */
export const REFERENCE = resolve(ROOT, 'test/fixtures/reference');
export const PARITY = resolve(REFERENCE, 'parity');
/** The original code base's configs: the DDIM document's layout, and the layout it writes today. */
export const SEED_CONFIGS = resolve(REFERENCE, 'seed-configs');
export const SEED_CONFIGS_HEAD = resolve(REFERENCE, 'seed-configs-head');
export const DEFAULT_MODEL = resolve(ROOT, 'models/ddpm_fashion_mnist.onnx');
export const DEFAULT_CONFIG = resolve(ROOT, 'models/ddpm_fashion_mnist.yaml');
export const TINY_MODEL = resolve(PARITY, 'tiny_unet.onnx');
