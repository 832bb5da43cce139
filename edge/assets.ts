/**
 * Where the edge module finds the shipped model and config: in the repository, ../models;
 * in a bundle, beside the bundle (edge/build.ts replaces this module with one that says so).
 */
export function edgeAssets(): { config: URL; model: URL; wasm: URL | undefined } {
  return {
    wasm: undefined,
    config: new URL('../models/ddpm_fashion_mnist.yaml', import.meta.url),
    model: new URL('../models/ddpm_fashion_mnist.onnx', import.meta.url),
  };
}
