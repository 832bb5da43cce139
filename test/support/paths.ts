import { resolve } from 'node:path';

/** The repository root. */
export const ROOT = resolve(import.meta.dir, '../..');
/** The team's shared folder beside the checkout (parity fixtures, seed configs). */
export const SHARED = process.env.DDIM_SHARED ?? resolve(ROOT, '../shared');
export const PARITY = resolve(SHARED, 'parity');
export const DEFAULT_MODEL = resolve(ROOT, 'models/ddpm_fashion_mnist.onnx');
export const DEFAULT_CONFIG = resolve(ROOT, 'models/ddpm_fashion_mnist.yaml');
export const TINY_MODEL = resolve(PARITY, 'tiny_unet.onnx');
