"""Make the class-conditional test fixtures in test/fixtures/conditional/.

    /usr/bin/python3 tools/make_conditional_fixture.py

A stand-in network of the original's shape (tools/cond_standin.py, random weights, seed 0)
saved as a checkpoint in the original's layout ({'ema': {'shadow': ...}}) with a config in
its layout, then exported through tools/export_onnx.py as a user would (--code-root tools):
  standin.pt, standin.yaml, standin.onnx            ε-prediction, 3×16×16, 10 classes
  standin_var.onnx                                  the same with learned variance (6 output channels)
  standin_uncond.npy                                PyTorch's float32 output for y=None on
                                                    standin_probe.npy (x, t listed in standin_probe.json)
"""
import json
import os
import subprocess
import sys

import numpy as np
import torch
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'test', 'fixtures', 'conditional')
sys.path.insert(0, HERE)
from cond_standin import CondStandIn  # noqa: E402

CIFAR10 = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']


def config(out_channels):
    return {
        'seed': 2022,
        'data': {'name': 'stand-in', 'img_size': 16, 'img_channels': 3, 'num_classes': 10, 'class_names': CIFAR10},
        'model': {'target': 'cond_standin.CondStandIn',
                  'params': {'in_channels': 3, 'out_channels': out_channels, 'dim': 16, 'num_classes': 10}},
        'diffusion': {'target': 'diffusions.classifier_free.ClassifierFree',
                      'params': {'total_steps': 1000, 'beta_schedule': 'linear', 'beta_start': 0.0001,
                                 'beta_end': 0.02, 'objective': 'pred_eps', 'var_type': 'fixed_large'}},
    }


def make(name, out_channels):
    torch.manual_seed(0)
    net = CondStandIn(out_channels=out_channels).eval()
    with torch.no_grad():  # larger class embeddings than the default init, so that classes matter
        net.class_embed.weight.mul_(3.0)
    ckpt = os.path.join(OUT, f'{name}.pt')
    torch.save({'ema': {'shadow': net.state_dict()}}, ckpt)
    cfg_path = os.path.join(OUT, f'{name}.yaml')
    with open(cfg_path, 'w') as f:
        yaml.safe_dump(config(out_channels), f, sort_keys=False)
    subprocess.run([sys.executable, os.path.join(HERE, 'export_onnx.py'), '-c', cfg_path, '--weights', ckpt,
                    '--out', os.path.join(OUT, f'{name}.onnx'), '--code-root', HERE], check=True)
    return net


def main():
    os.makedirs(OUT, exist_ok=True)
    net = make('standin', 3)
    var = make('standin_var', 6)
    os.remove(os.path.join(OUT, 'standin_var.pt'))
    os.remove(os.path.join(OUT, 'standin_var.yaml'))
    del var
    g = torch.Generator().manual_seed(1)
    x = torch.randn(4, 3, 16, 16, generator=g)
    t = torch.tensor([0, 10, 500, 999])
    with torch.no_grad():
        uncond = net(x, t, y=None)
    np.save(os.path.join(OUT, 'standin_probe.npy'), x.numpy())
    np.save(os.path.join(OUT, 'standin_uncond.npy'), uncond.numpy())
    with open(os.path.join(OUT, 'standin_probe.json'), 'w') as f:
        json.dump({'t': t.tolist()}, f)


if __name__ == '__main__':
    main()
