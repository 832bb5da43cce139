"""Export the trained Fashion-MNIST classifier to ONNX for `ddim eval`.

    /usr/bin/python3 tools/export_classifier.py --weights runs/classifier/classifier.pt \
        --out models/fashion_mnist_classifier.onnx
Inputs: `x` float32 [B,1,32,32] in [-1, 1]. Outputs: `features` [B,128], `logits` [B,10].
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from classifier import Classifier  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--weights', required=True)
    parser.add_argument('--out', required=True)
    args = parser.parse_args()
    ckpt = torch.load(args.weights, map_location='cpu')
    net = Classifier().eval()
    net.load_state_dict(ckpt['model'])
    tmp = args.out + '.tmp'
    torch.onnx.export(net, (torch.randn(2, 1, 32, 32),), tmp, input_names=['x'], output_names=['features', 'logits'],
                      dynamic_axes={'x': {0: 'batch'}, 'features': {0: 'batch'}, 'logits': {0: 'batch'}},
                      opset_version=17, do_constant_folding=True)
    os.replace(tmp, args.out)
    print(f"wrote {args.out} (test accuracy {ckpt['test_accuracy']:.4f})")


if __name__ == '__main__':
    main()
