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

Class-conditional networks (a `data.num_classes` in the config and an nn.Embedding attribute
`class_embed`, as the original's `forward(X, T, y=None)` networks have) get a third input `y`
int64 [B]: y = --null-class (default −1) gives exactly the network's output for y=None (see
tools/conditional_export.py, also for other layouts: --class-embed NAME or none).

The file carries a model card (tools/model_card.py): T, β schedule and values, objective,
image size and channels, and for conditional networks num_classes, class names
(--class-names a,b,… or the config's data.class_names) and the null class. The toolkit reads
it, so `ddim sample --weights MODEL.onnx` needs no config.
"""
import argparse
import importlib
import os
import sys

import torch
import yaml

from conditional_export import ConditionalNetwork, null_matches_none
from model_card import append_card, build_card, data_value, num_classes

HERE = os.path.dirname(os.path.abspath(__file__))


def input_shape(cfg):
    """(channels, size) of the network's input, from either layout of the original configs."""
    size = data_value(cfg, 'img_size')
    if size is None:
        raise SystemExit('config: data.img_size (or data.params.img_size) is missing')
    return cfg['data']['img_channels'], size


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


def export_graph(net, inputs, names, path, opset):
    axes = {name: {0: 'batch'} for name in [*names, 'out']}
    torch.onnx.export(net, inputs, path, input_names=names, output_names=['out'], dynamic_axes=axes,
                      opset_version=opset, do_constant_folding=True)
    try:
        import onnx
        onnx.checker.check_model(onnx.load(path))
    except ImportError:
        print('onnx not installed: skipped the model check', file=sys.stderr)


def is_conditional(cfg, net, class_embed):
    if class_embed == 'none':
        return True
    return bool(num_classes(cfg)) and isinstance(getattr(net, class_embed, None), torch.nn.Embedding)


def export(cfg, net, out, opset=17, class_embed='class_embed', null_class=-1, class_names=None):
    """Write net as ONNX (x, t[, y]) with its model card; returns whether it is conditional."""
    channels, size = input_shape(cfg)
    torch.manual_seed(0)
    x = torch.randn(2, channels, size, size)
    t = torch.tensor([0, 999], dtype=torch.int64)
    conditional = is_conditional(cfg, net, class_embed)
    tmp = out + '.tmp'
    if conditional:
        wrapped = ConditionalNetwork(net, class_embed, null_class).eval()
        if class_embed != 'none' and not null_matches_none(wrapped, x, t, null_class):
            raise SystemExit(f'the output for y={null_class} differs from y=None: this network uses {class_embed} other than by '
                             'adding it; export a forward(x, t, y) of your own with --class-embed none (tools/conditional_export.py)')
        y = torch.tensor([0, null_class], dtype=torch.int64)
        export_graph(wrapped, (x, t, y), ['x', 't', 'y'], tmp, opset)
    else:
        export_graph(net, (x, t), ['x', 't'], tmp, opset)
    names = class_names or cfg['data'].get('class_names')
    append_card(tmp, build_card(cfg, conditional, null_class, names))
    os.replace(tmp, out)
    return conditional


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('-c', '--config', required=True)
    parser.add_argument('--weights', required=True)
    parser.add_argument('--out', required=True)
    parser.add_argument('--code-root', default=HERE)
    parser.add_argument('--no-ema', action='store_true', help='export the raw model weights, not the EMA ones')
    parser.add_argument('--opset', type=int, default=17)
    parser.add_argument('--class-embed', default='class_embed',
                        help='the nn.Embedding attribute of a conditional network; none: the network takes (x, t, y) itself')
    parser.add_argument('--null-class', type=int, default=-1, help='the label that means "no class" (default -1)')
    parser.add_argument('--class-names', help='comma-separated class names for the model card')
    args = parser.parse_args()

    with open(args.config) as f:
        cfg = yaml.safe_load(f)
    net = load_network(cfg, os.path.abspath(args.code_root)).eval()
    ckpt = torch.load(args.weights, map_location='cpu')
    net.load_state_dict(pick_state_dict(ckpt, not args.no_ema))
    names = args.class_names.split(',') if args.class_names else None
    conditional = export(cfg, net, args.out, args.opset, args.class_embed, args.null_class, names)
    params = sum(p.numel() for p in net.parameters())
    kind = 'conditional (x, t, y)' if conditional else '(x, t)'
    print(f'wrote {args.out} {kind} ({os.path.getsize(args.out) / 1e6:.1f} MB, {params / 1e6:.2f}M parameters)')


if __name__ == '__main__':
    main()
