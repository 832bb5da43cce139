// Stands in for onnxruntime-web's loader module on Cloudflare Workers (edge/build.ts --workers
// copies it as ort-loader.mjs; the web backend names it in wasmPaths.mjs): the same emscripten
// factory (ort-glue.mjs, onnxruntime-web's own), handed the WebAssembly.Module the runtime
// compiled at upload, because Workers may not compile WebAssembly from bytes.
import createOrtWasm from './ort-glue.mjs';
import wasmModule from './ort-wasm-simd-threaded.wasm';

export default function factory(config = {}) {
  return createOrtWasm({
    ...config,
    instantiateWasm(imports, done) {
      WebAssembly.instantiate(wasmModule, imports).then((instance) => done(instance, wasmModule));
      return {};
    },
  });
}
