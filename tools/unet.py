"""A small DDPM UNet (Ho et al. 2020 layout) for the shipped default models.

Same building blocks as the original code base's `models.unet.UNet`
(GroupNorm, SiLU, sinusoidal timestep embedding, residual blocks, self-attention
at chosen resolutions), sized down so it samples quickly on a CPU.

With num_classes > 0 it is class-conditional in the original's shape
(`models.unet_categorial_adagn`): `forward(x, t, y=None)` adds `class_embed(y)`, an
nn.Embedding, to the timestep embedding only when y is given, so y=None is the
unconditional model of classifier-free guidance and tools/export_onnx.py exports it
as (x, t, y) with y = -1 for "no class".
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def timestep_embedding(t, dim):
    half = dim // 2
    freqs = torch.exp(-math.log(10000) * torch.arange(half, device=t.device, dtype=torch.float32) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([torch.sin(args), torch.cos(args)], dim=1)


def group_norm(ch):
    return nn.GroupNorm(min(8, ch), ch)


class ResBlock(nn.Module):
    def __init__(self, in_ch, out_ch, emb_dim, dropout):
        super().__init__()
        self.norm1 = group_norm(in_ch)
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, padding=1)
        self.emb = nn.Linear(emb_dim, out_ch)
        self.norm2 = group_norm(out_ch)
        self.dropout = nn.Dropout(dropout)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, padding=1)
        self.skip = nn.Conv2d(in_ch, out_ch, 1) if in_ch != out_ch else nn.Identity()

    def forward(self, x, emb):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.emb(F.silu(emb))[:, :, None, None]
        h = self.conv2(self.dropout(F.silu(self.norm2(h))))
        return h + self.skip(x)


class AttnBlock(nn.Module):
    def __init__(self, ch):
        super().__init__()
        self.norm = group_norm(ch)
        self.qkv = nn.Conv2d(ch, ch * 3, 1)
        self.proj = nn.Conv2d(ch, ch, 1)

    def forward(self, x):
        b, c, h, w = x.shape
        q, k, v = self.qkv(self.norm(x)).reshape(b, 3, c, h * w).unbind(1)
        attn = torch.softmax(torch.einsum('bci,bcj->bij', q, k) / math.sqrt(c), dim=-1)
        out = torch.einsum('bij,bcj->bci', attn, v).reshape(b, c, h, w)
        return x + self.proj(out)


class UNet(nn.Module):
    def __init__(self, in_channels=1, out_channels=1, dim=32, dim_mults=(1, 2, 2),
                 use_attn=(False, False, True), num_res_blocks=2, dropout=0.1, num_classes=0):
        super().__init__()
        self.dim = dim
        emb_dim = dim * 4
        self.time_mlp = nn.Sequential(nn.Linear(dim, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim))
        if num_classes:
            self.class_embed = nn.Embedding(num_classes, emb_dim)
        self.stem = nn.Conv2d(in_channels, dim, 3, padding=1)

        chans = [dim]
        ch = dim
        self.down = nn.ModuleList()
        for level, mult in enumerate(dim_mults):
            for _ in range(num_res_blocks):
                blocks = nn.ModuleList([ResBlock(ch, dim * mult, emb_dim, dropout)])
                ch = dim * mult
                if use_attn[level]:
                    blocks.append(AttnBlock(ch))
                self.down.append(blocks)
                chans.append(ch)
            if level != len(dim_mults) - 1:
                self.down.append(nn.ModuleList([nn.Conv2d(ch, ch, 3, stride=2, padding=1)]))
                chans.append(ch)

        self.mid1 = ResBlock(ch, ch, emb_dim, dropout)
        self.mid_attn = AttnBlock(ch)
        self.mid2 = ResBlock(ch, ch, emb_dim, dropout)

        self.up = nn.ModuleList()
        for level, mult in reversed(list(enumerate(dim_mults))):
            for _ in range(num_res_blocks + 1):
                blocks = nn.ModuleList([ResBlock(ch + chans.pop(), dim * mult, emb_dim, dropout)])
                ch = dim * mult
                if use_attn[level]:
                    blocks.append(AttnBlock(ch))
                self.up.append(blocks)
            if level != 0:
                self.up.append(nn.ModuleList([nn.Upsample(scale_factor=2, mode='nearest'),
                                              nn.Conv2d(ch, ch, 3, padding=1)]))
        self.out_norm = group_norm(ch)
        self.out_conv = nn.Conv2d(ch, out_channels, 3, padding=1)

    @staticmethod
    def _run(blocks, h, emb):
        for block in blocks:
            h = block(h, emb) if isinstance(block, ResBlock) else block(h)
        return h

    def forward(self, x, t, y=None):
        emb = self.time_mlp(timestep_embedding(t, self.dim))
        if y is not None:
            emb = emb + self.class_embed(y)
        h = self.stem(x)
        skips = [h]
        for blocks in self.down:
            h = self._run(blocks, h, emb)
            skips.append(h)
        h = self.mid2(self.mid_attn(self.mid1(h, emb)), emb)
        for blocks in self.up:
            if isinstance(blocks[0], ResBlock):
                h = torch.cat([h, skips.pop()], dim=1)
            h = self._run(blocks, h, emb)
        return self.out_conv(F.silu(self.out_norm(h)))
