"""A small class-conditional network of the original code base's shape, for tests.

Like `models.unet_categorial_adagn.UNetCategorialAdaGN`: `forward(X, T, y=None)`, the class
embedding an `nn.Embedding(num_classes, embed_dim)` attribute named `class_embed` that is
added to the timestep embedding only when `y` is given, and adaptive group norm (scale and
shift from that embedding) in the blocks. Sized to a few hundred KB with random weights: it
stands in for the original's network (whose code is not in this repository) in the export
and parity tests.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def timestep_embedding(t, dim):
    half = dim // 2
    freqs = torch.exp(-math.log(10000) * torch.arange(half, dtype=torch.float32) / half).to(t.device)
    args = t.float()[:, None] * freqs[None]
    emb = torch.cat([torch.sin(args), torch.cos(args)], dim=1)
    return emb


class AdaGNBlock(nn.Module):
    def __init__(self, channels, embed_dim):
        super().__init__()
        self.norm1 = nn.GroupNorm(4, channels)
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.scale_shift = nn.Linear(embed_dim, 2 * channels)
        self.norm2 = nn.GroupNorm(4, channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x, emb):
        h = self.conv1(F.silu(self.norm1(x)))
        scale, shift = self.scale_shift(F.silu(emb))[:, :, None, None].chunk(2, dim=1)
        h = self.norm2(h) * (1 + scale) + shift
        return x + self.conv2(F.silu(h))


class CondStandIn(nn.Module):
    def __init__(self, in_channels=3, out_channels=3, dim=16, num_classes=10, num_blocks=2):
        super().__init__()
        self.dim = dim
        embed_dim = 4 * dim
        self.time_embed = nn.Sequential(nn.Linear(dim, embed_dim), nn.SiLU(), nn.Linear(embed_dim, embed_dim))
        self.class_embed = nn.Embedding(num_classes, embed_dim)
        self.conv_in = nn.Conv2d(in_channels, dim, 3, padding=1)
        self.blocks = nn.ModuleList([AdaGNBlock(dim, embed_dim) for _ in range(num_blocks)])
        self.norm_out = nn.GroupNorm(4, dim)
        self.conv_out = nn.Conv2d(dim, out_channels, 3, padding=1)

    def forward(self, X, T, y=None):
        emb = self.time_embed(timestep_embedding(T, self.dim).to(X.dtype))
        if y is not None:
            emb = emb + self.class_embed(y)
        h = self.conv_in(X)
        for block in self.blocks:
            h = block(h, emb)
        return self.conv_out(F.silu(self.norm_out(h)))
