"""Export a network the size of the DDPM CIFAR-10 model, with random weights, for benchmarks.

35.7M parameters: UNet with base 128 channels, multipliers 1,2,2,2, 2 residual blocks per
level, self-attention at 16x16, GroupNorm, sinusoidal timestep embedding (tools/unet.py).
Weights don't change speed, so nothing is trained.
    /usr/bin/python3 tools/export_cifar_unet.py --out bench/models/cifar10_unet.onnx
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from unet import UNet  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--out', required=True)
    args = parser.parse_args()
    torch.manual_seed(0)
    net = UNet(in_channels=3, out_channels=3, dim=128, dim_mults=(1, 2, 2, 2),
               use_attn=(False, True, False, False), num_res_blocks=2, dropout=0.1).eval()
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    tmp = args.out + '.tmp'
    torch.onnx.export(net, (torch.randn(2, 3, 32, 32), torch.tensor([0, 999])), tmp,
                      input_names=['x', 't'], output_names=['out'],
                      dynamic_axes={'x': {0: 'batch'}, 't': {0: 'batch'}, 'out': {0: 'batch'}},
                      opset_version=17, do_constant_folding=True)
    os.replace(tmp, args.out)
    params = sum(p.numel() for p in net.parameters())
    print(f'wrote {args.out} ({params / 1e6:.2f}M parameters)')


if __name__ == '__main__':
    main()
