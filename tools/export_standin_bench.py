"""Export a larger class-conditional stand-in (random weights, 3×32×32, 10 classes) for the
guidance benchmark, through tools/export_onnx.py as a user would.

    /usr/bin/python3 tools/export_standin_bench.py --out bench/models/cond_standin_32.onnx
"""
import argparse
import os
import subprocess
import sys
import tempfile

import torch
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from cond_standin import CondStandIn  # noqa: E402

PARAMS = {'in_channels': 3, 'out_channels': 3, 'dim': 64, 'num_classes': 10, 'num_blocks': 4}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--out', required=True)
    args = parser.parse_args()
    torch.manual_seed(0)
    net = CondStandIn(**PARAMS)
    cfg = {'data': {'img_size': 32, 'img_channels': 3, 'num_classes': 10},
           'model': {'target': 'cond_standin.CondStandIn', 'params': PARAMS},
           'diffusion': {'params': {'total_steps': 1000, 'beta_schedule': 'linear'}}}
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        ckpt, config = os.path.join(tmp, 'ckpt.pt'), os.path.join(tmp, 'config.yaml')
        torch.save(net.state_dict(), ckpt)
        with open(config, 'w') as f:
            yaml.safe_dump(cfg, f)
        subprocess.run([sys.executable, os.path.join(HERE, 'export_onnx.py'), '-c', config, '--weights', ckpt,
                        '--out', args.out, '--code-root', HERE], check=True)


if __name__ == '__main__':
    main()
