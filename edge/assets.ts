import { packageUrl } from '../core/io/package-url.ts';

/**
 * Where the edge module finds the shipped model and config: in the package, its models/
 * (whether this runs from the sources or from dist/); in a bundle, beside the bundle
 * (edge/build.ts replaces this module with one that says so).
 */
export function edgeAssets(): { config: URL; model: URL; wasm: URL | undefined } {
  return {
    wasm: undefined,
    config: packageUrl('models/ddpm_fashion_mnist.yaml'),
    model: packageUrl('models/ddpm_fashion_mnist.onnx'),
  };
}
