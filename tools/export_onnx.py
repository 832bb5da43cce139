"""Export a PyTorch DDPM network to the ONNX file the toolkit samples from.

    /usr/bin/python3 tools/export_onnx.py -c CONFIG.yaml --weights CKPT.pt --out MODEL.onnx \
        [--code-root DIR] [--no-ema] [--opset 17]

CONFIG is a config in the original code base's format: `model.target` names the network
class (`package.module.Class`, imported with --code-root on sys.path; default: this folder,
which holds the default model's `unet.UNet`), `model.params` its arguments, and
`data.img_channels` / `data.img_size` the input shape (or `data.params.img_size`, where the
code base's current configs put it).

CKPT may be a plain state dict, or the original code base's layouts
`{'ema': {'shadow': state_dict}}` (used unless --no-ema) and `{'model': state_dict}`.

The ONNX file has inputs `x` float32 [B,C,H,W] and `t` int64 [B] (raw timestep index),
output `out` float32 [B,C',H,W], with a dynamic batch axis.
"""
import argparse
import importlib
import os
import sys

import torch
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))


def input_shape(cfg):
    """(channels, size) of the network's input, from either layout of the original configs."""
    data = cfg['data']
    size = data.get('img_size', (data.get('params') or {}).get('img_size'))
    if size is None:
        raise SystemExit('config: data.img_size (or data.params.img_size) is missing')
    return data['img_channels'], size


def pick_state_dict(ckpt, use_ema):
    """Find the weights inside the checkpoint layouts users bring."""
    if use_ema and isinstance(ckpt.get('ema'), dict):
        ema = ckpt['ema']
        return ema.get('shadow', ema)
    if isinstance(ckpt.get('model'), dict):
        return ckpt['model']
    if all(torch.is_tensor(v) for v in ckpt.values()):
        return ckpt
    raise SystemExit(f'no weights found in checkpoint: top-level keys are {sorted(ckpt)}; '
                     "expected a state dict, {'ema': {'shadow': ...}} or {'model': ...}")


def load_network(cfg, code_root):
    sys.path.insert(0, code_root)
    module_name, _, class_name = cfg['model']['target'].rpartition('.')
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as err:
        raise SystemExit(f"cannot import model.target {cfg['model']['target']!r} from {code_root}: {err}")
    return cls(**cfg['model'].get('params', {}))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('-c', '--config', required=True)
    parser.add_argument('--weights', required=True)
    parser.add_argument('--out', required=True)
    parser.add_argument('--code-root', default=HERE)
    parser.add_argument('--no-ema', action='store_true', help='export the raw model weights, not the EMA ones')
    parser.add_argument('--opset', type=int, default=17)
    args = parser.parse_args()

    with open(args.config) as f:
        cfg = yaml.safe_load(f)
    net = load_network(cfg, os.path.abspath(args.code_root)).eval()
    ckpt = torch.load(args.weights, map_location='cpu')
    net.load_state_dict(pick_state_dict(ckpt, not args.no_ema))

    channels, size = input_shape(cfg)
    x = torch.randn(2, channels, size, size)
    t = torch.tensor([0, 999], dtype=torch.int64)
    tmp = args.out + '.tmp'
    torch.onnx.export(net, (x, t), tmp, input_names=['x', 't'], output_names=['out'],
                      dynamic_axes={'x': {0: 'batch'}, 't': {0: 'batch'}, 'out': {0: 'batch'}},
                      opset_version=args.opset, do_constant_folding=True)
    try:
        import onnx
        onnx.checker.check_model(onnx.load(tmp))
    except ImportError:
        print('onnx not installed: skipped the model check', file=sys.stderr)
    os.replace(tmp, args.out)
    params = sum(p.numel() for p in net.parameters())
    print(f'wrote {args.out} ({os.path.getsize(args.out) / 1e6:.1f} MB, {params / 1e6:.2f}M parameters)')


if __name__ == '__main__':
    main()
