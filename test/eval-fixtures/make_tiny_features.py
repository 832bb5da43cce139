"""Build tiny_features_uint8.onnx, the eval tests' second feature model (not a real network).

    /usr/bin/python3 test/eval-fixtures/make_tiny_features.py

It differs from the shipped classifier in every way eval must adapt to: a uint8 RGB input
`pixels` [2,3,8,8] with a fixed batch of 2, features shaped [B,3,1,1] under the name `pool`
(the per-channel mean of the bytes, so solid-colour images have known features), and
class logits `scores` [B,4].
"""
import os

import torch


class Tiny(torch.nn.Module):
    def forward(self, pixels):
        pool = pixels.float().mean(dim=(2, 3), keepdim=True)
        rgb = pool.flatten(1) / 64.0
        scores = torch.cat([rgb, -rgb.sum(1, keepdim=True)], dim=1)
        return pool, scores


out = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'tiny_features_uint8.onnx')
torch.onnx.export(Tiny(), (torch.zeros(2, 3, 8, 8, dtype=torch.uint8),), out,
                  input_names=['pixels'], output_names=['pool', 'scores'], opset_version=17)
print(f'wrote {out}')
