"""Write the original code base's respaced timesteps, as PyTorch computes them, for the tests.

    /usr/bin/python3 tools/respace_timesteps.py > test/fixtures/reference/respace-timesteps.json

The definitions are those of `get_respaced_seq` in the original code base's diffusions/schedule.py
(Diffusion-Models-Implementations, commit 1b20f4e), with T = total_steps and N = respace_steps:
  uniform, uniform-leading  arange(0, T, T // N)
  uniform-linspace          linspace(0, T - 1, N) (float32) truncated to integers
  uniform-trailing          arange(T - 1, -1, -(T // N)), reversed
  quad                      floor(linspace(0, sqrt(0.8 T), N) ** 2) (float32)
The float32 ones are why this file exists: they differ from float64 arithmetic for some T, N.
"""
import json
import math

import torch


def respaced(kind, total, steps):
    if kind == 'uniform-leading':
        return torch.arange(0, total, total // steps).long()
    if kind == 'uniform-linspace':
        return torch.linspace(0, total - 1, steps).long()
    if kind == 'uniform-trailing':
        return torch.arange(total - 1, -1, -(total // steps)).long().flip(dims=[0])
    if kind == 'quad':
        return torch.floor(torch.linspace(0, math.sqrt(total * 0.8), steps) ** 2).long()
    raise ValueError(kind)


def cases():
    for total in (10, 20, 50, 100):
        for steps in range(1, total + 1):
            yield total, steps
    for total in (200, 1000):
        for steps in [s for s in (*range(1, 51), 64, 100, 128, 250) if s <= total]:
            yield total, steps


def main():
    out = {'torch': torch.__version__}
    for kind in ('uniform-leading', 'uniform-linspace', 'uniform-trailing', 'quad'):
        for total, steps in cases():
            out[f'{kind}/{total}/{steps}'] = respaced(kind, total, steps).tolist()
    print(json.dumps(out, separators=(',', ':')))


if __name__ == '__main__':
    main()
