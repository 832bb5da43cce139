"""Exporting a class-conditional network as ONNX (x, t, y) where y = null_class means "no class".

The original's networks take `forward(X, T, y=None)` and add `self.class_embed(y)` (an
nn.Embedding) to the timestep embedding only when y is given. One ONNX graph cannot branch
on None, so the embedding is replaced by one that returns exact zeros for the null label:
adding 0.0 leaves the timestep embedding's bits unchanged, so the output for y = null equals
the network's output for y=None exactly, in one forward pass.

Other layouts (a class embedding used other than by adding it, a condition keyword other than
`y`): write a small nn.Module with `forward(x, t, y)` that calls your network with y=None where
y == -1 (or that treats the null class natively, DiT-style), point model.target at it and export
with --class-embed none.
"""
import torch
import torch.nn as nn


class MaskedEmbedding(nn.Module):
    """An nn.Embedding whose null label gives an all-zero row (and indexes no table row)."""

    def __init__(self, embedding, null_class):
        super().__init__()
        self.embedding = embedding
        self.null_class = null_class

    def forward(self, y):
        keep = y != self.null_class
        safe = torch.where(keep, y, torch.zeros_like(y))
        return self.embedding(safe) * keep.unsqueeze(-1).to(self.embedding.weight.dtype)


class ConditionalNetwork(nn.Module):
    """forward(x, t, y) over a network of the original's shape, its class embedding masked."""

    def __init__(self, net, class_embed='class_embed', null_class=-1, cond_kwarg='y'):
        super().__init__()
        self.net = net
        self.cond_kwarg = cond_kwarg
        if class_embed != 'none':
            embedding = getattr(net, class_embed, None)
            if not isinstance(embedding, nn.Embedding):
                raise SystemExit(f'the network has no nn.Embedding attribute {class_embed!r}; give --class-embed NAME, '
                                 'or --class-embed none with a forward(x, t, y) of your own (see tools/conditional_export.py)')
            setattr(net, class_embed, MaskedEmbedding(embedding, null_class))

    def forward(self, x, t, y):
        return self.net(x, t, **{self.cond_kwarg: y})


def null_matches_none(wrapped, x, t, null_class):
    """Whether the output for the null label equals net(x, t, y=None) bit for bit."""
    with torch.no_grad():
        unconditional = wrapped.net(x, t, **{wrapped.cond_kwarg: None})
        null = wrapped(x, t, torch.full((x.shape[0],), null_class, dtype=torch.int64))
    return torch.equal(unconditional, null)
