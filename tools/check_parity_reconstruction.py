"""An independent check of the reconstruction parity fixture: the parity README's algorithm
in numpy float32 over Python onnxruntime, printing how far it lands from the reference.

    python3 tools/check_parity_reconstruction.py test/fixtures/reference/parity   # needs onnxruntime, numpy, Pillow

Run on a lent machine (onnxruntime 1.30, Xeon): latents 8.7e-5, reconstruction 1.2e-2 with
all graph optimizations; 9.7e-5 and 1.4e-2 without. The toolkit lands at 7.3e-5 and 6.3e-3.
"""
import glob
import os
import sys

import numpy as np
import onnxruntime as ort
from PIL import Image


def main():
    parity = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '../test/fixtures/reference/parity')
    case = os.path.join(parity, 'reconstruction_uniform20')
    total = 1000
    alphas = np.cumprod(1 - np.linspace(0.0001, 0.02, total, dtype=np.float64)).astype(np.float32)
    one = np.float32(1)
    for level in (ort.GraphOptimizationLevel.ORT_ENABLE_ALL, ort.GraphOptimizationLevel.ORT_DISABLE_ALL):
        options = ort.SessionOptions()
        options.graph_optimization_level = level
        session = ort.InferenceSession(os.path.join(parity, 'tiny_unet.onnx'), options, providers=['CPUExecutionProvider'])
        files = sorted(glob.glob(os.path.join(case, 'inputs', '*.png')))
        x = np.stack([np.asarray(Image.open(f).convert('RGB'), dtype=np.float32).transpose(2, 0, 1) for f in files])
        x = x / np.float32(127.5) - one
        seq = list(range(0, total, total // 20))

        def x0_and_eps(x, t):
            a = alphas[t]
            out = session.run(None, {'x': x.astype(np.float32), 't': np.full(len(x), t, dtype=np.int64)})[0]
            r, rm1 = np.sqrt(one / a), np.sqrt(one / a - one)
            x0 = np.clip(r * x - rm1 * out, -1, 1)
            return x0, (r * x - x0) / rm1

        for i in range(len(seq) - 1):
            x0, eps = x0_and_eps(x, seq[i])
            a_next = alphas[seq[i + 1]]
            x = np.sqrt(a_next) * x0 + np.sqrt(one - a_next) * eps
        latents = x.copy()
        for i in reversed(range(len(seq))):
            x0, eps = x0_and_eps(x, seq[i])
            a_prev = alphas[seq[i - 1]] if i > 0 else one
            x = np.sqrt(a_prev) * x0 + np.sqrt(one - a_prev) * eps
        x = np.clip(x, -1, 1)
        expected_latents = np.load(os.path.join(case, 'expected_latents.npy'))
        expected = np.load(os.path.join(case, 'expected.npy'))
        print(f'onnxruntime {ort.__version__} {level}: latents {np.abs(latents - expected_latents).max():.2e}, '
              f'reconstruction {np.abs(x - expected).max():.2e}')


if __name__ == '__main__':
    main()
