"""Quick look at a checkpoint during training: 64 DDIM samples as one PNG grid.

A check for the trainer only (PyTorch, on whatever device trains); the toolkit's own
sampler is the TypeScript one.
    /usr/bin/python3 tools/preview_ddim.py -c models/ddpm_fashion_mnist.yaml --ema runs/fmnist/ema.pt --out preview.png
"""
import argparse
import os
import sys

import numpy as np
import torch
import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_ddpm import betas_for  # noqa: E402
from unet import UNet  # noqa: E402


@torch.no_grad()
def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('-c', '--config', required=True)
    parser.add_argument('--ema', required=True)
    parser.add_argument('--out', required=True)
    parser.add_argument('--steps', type=int, default=50)
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    args = parser.parse_args()
    with open(args.config) as f:
        cfg = yaml.safe_load(f)
    device = torch.device(args.device)
    model = UNet(**cfg['model']['params']).to(device).eval()
    model.load_state_dict(torch.load(args.ema, map_location=device)['ema']['shadow'])
    ac = torch.cumprod(1 - betas_for(cfg['diffusion']['params']), 0).float().to(device)
    total = len(ac)
    seq = list(range(0, total, total // args.steps))
    torch.manual_seed(0)
    x = torch.randn(64, 1, 32, 32, device=device)
    for i in reversed(range(len(seq))):
        t = seq[i]
        a, a_prev = ac[t], (ac[seq[i - 1]] if i > 0 else torch.tensor(1.0, device=device))
        eps = model(x, torch.full((64,), t, device=device, dtype=torch.long))
        x0 = ((x - (1 - a).sqrt() * eps) / a.sqrt()).clamp(-1, 1)
        eps = (x - a.sqrt() * x0) / (1 - a).sqrt()
        x = a_prev.sqrt() * x0 + (1 - a_prev).sqrt() * eps
    img = ((x.clamp(-1, 1) + 1) * 127.5).round().byte().cpu().numpy()[:, 0]
    grid = img.reshape(8, 8, 32, 32).transpose(0, 2, 1, 3).reshape(256, 256)
    write_pgm_or_png(grid, args.out)


def write_pgm_or_png(gray, path):
    try:
        from PIL import Image
        Image.fromarray(gray).save(path)
    except ImportError:
        with open(os.path.splitext(path)[0] + '.pgm', 'wb') as f:
            f.write(b'P5 %d %d 255\n' % (gray.shape[1], gray.shape[0]) + gray.tobytes())


if __name__ == '__main__':
    main()
