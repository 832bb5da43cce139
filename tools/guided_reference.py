"""An independent float64 reference of classifier-free guided DDIM, and the parity fixtures.

    /usr/bin/python3 tools/guided_reference.py

Writes test/fixtures/reference/guided/: config.yaml, noise.npy (x_T of the 10 items, one per
class, class-major as --n_samples_each_class 1 orders them) and one folder per case with
case.json (the CLI flags) and expected.npy (float32, clamped). The network is the stand-in of
test/fixtures/conditional (its checkpoint standin.pt) run by PyTorch in float64; the sampler is
this file's own loop, written from the original's diffusions/classifier_free.py step:

    for pred_x0 each output becomes ε = (√(1/ᾱ)·x − x0)/√(1/ᾱ − 1)
    ε = (1 − s)·ε_u + s·ε_c;  x0 = √(1/ᾱ)·x − √(1/ᾱ − 1)·ε;  clip x0 to [−1, 1] when asked
    ε = (√(1/ᾱ)·x − x0)/√(1/ᾱ − 1)
    σ² = η²·(1 − ᾱ_prev)/(1 − ᾱ)·(1 − ᾱ/ᾱ_prev);  x = √ᾱ_prev·x0 + √(1 − ᾱ_prev − σ²)·ε + σ·z (t > 0)

ᾱ is cumprod(1 − β) in float64 cast to float32, as the original keeps it. The step noise z of
item i at timestep t is the toolkit's documented counter-based draw (Philox4x32-10 keyed
(seed, stream i, step t, domain 0), Box–Muller), implemented here from that description.
"""
import json
import math
import os
import shutil
import sys

import numpy as np
import torch
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, '..')
sys.path.insert(0, HERE)
from cond_standin import CondStandIn  # noqa: E402

OUT = os.path.join(ROOT, 'test', 'fixtures', 'reference', 'guided')
FIXTURE = os.path.join(ROOT, 'test', 'fixtures', 'conditional')
SEED = 7
STEPS = 10
T = 1000
CLASSES = 10
MASK = 0xFFFFFFFF


def philox(counter, stream, step, domain, seed):
    """Philox4x32-10 blocks for an array of counters: uint32 [n, 4]."""
    c0 = counter.astype(np.uint64)
    c1 = np.full_like(c0, stream)
    c2 = np.full_like(c0, step)
    c3 = np.full_like(c0, domain)
    k0, k1 = seed & MASK, (seed >> 32) & MASK
    for _ in range(10):
        p0 = np.uint64(0xD2511F53) * c0
        p1 = np.uint64(0xCD9E8D57) * c2
        hi0, lo0 = p0 >> np.uint64(32), p0 & np.uint64(MASK)
        hi1, lo1 = p1 >> np.uint64(32), p1 & np.uint64(MASK)
        c0, c1, c2, c3 = hi1 ^ c1 ^ np.uint64(k0), lo1, hi0 ^ c3 ^ np.uint64(k1), lo0
        k0, k1 = (k0 + 0x9E3779B9) & MASK, (k1 + 0xBB67AE85) & MASK
    return np.stack([c0, c1, c2, c3], axis=1)


def gaussian(count, stream, step, domain=0, seed=SEED):
    blocks = philox(np.arange((count + 3) // 4), stream, step, domain, seed).astype(np.float64)
    values = []
    for a, b in ((0, 1), (2, 3)):
        radius = np.sqrt(-2 * np.log((blocks[:, a] + 1) / 2 ** 32))
        angle = 2 * math.pi * blocks[:, b] / 2 ** 32
        values.append(np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1))
    # Per block: pair (0,1) gives two values, then pair (2,3) two more.
    return np.concatenate(values, axis=1).reshape(-1)[:count]


def alphas_cumprod():
    betas = np.linspace(0.0001, 0.02, T, dtype=np.float64)
    return np.cumprod(1 - betas).astype(np.float32).astype(np.float64)


def timesteps(skip_type):
    if skip_type == 'uniform':
        return list(range(0, T, T // STEPS))
    return [int(math.floor(s * s)) for s in np.linspace(0, math.sqrt(0.8 * T), STEPS)]


def to_eps(out, x, a, objective):
    if objective == 'pred_eps':
        return out
    return (math.sqrt(1 / a) * x - out) / math.sqrt(1 / a - 1)


def guided_ddim(net, noise, labels, scale, eta, skip_type, objective, clip):
    ac = alphas_cumprod()
    seq = timesteps(skip_type)
    x = torch.from_numpy(noise.astype(np.float64))
    y = torch.tensor(labels, dtype=torch.int64)
    for i in reversed(range(len(seq))):
        t, a = seq[i], ac[seq[i]]
        a_prev = ac[seq[i - 1]] if i > 0 else 1.0
        tt = torch.full((x.shape[0],), t, dtype=torch.int64)
        with torch.no_grad():
            out_c = net(x, tt, y).numpy()
            out_u = net(x, tt, None).numpy()
        xn = x.numpy()
        eps = (1 - scale) * to_eps(out_u, xn, a, objective) + scale * to_eps(out_c, xn, a, objective)
        x0 = math.sqrt(1 / a) * xn - math.sqrt(1 / a - 1) * eps
        if clip:
            x0 = np.clip(x0, -1, 1)
        eps = (math.sqrt(1 / a) * xn - x0) / math.sqrt(1 / a - 1)
        var = eta ** 2 * (1 - a_prev) / (1 - a) * (1 - a / a_prev)
        nxt = math.sqrt(a_prev) * x0 + math.sqrt(max(1 - a_prev - var, 0)) * eps
        if t > 0 and var > 0:
            size = xn[0].size
            z = np.stack([gaussian(size, item, t).reshape(xn[0].shape) for item in range(xn.shape[0])])
            nxt = nxt + math.sqrt(var) * z
        x = torch.from_numpy(nxt)
    return np.clip(x.numpy(), -1, 1).astype(np.float32), seq


CASES = [
    (s, eta, skip, objective, clip)
    for s in (0, 1, 3)
    for objective in ('pred_eps', 'pred_x0')
    for eta, skip, clip in ((0, 'uniform', True), (0.5, 'quad', False))
] + [(3, 0.5, 'uniform', 'pred_eps', True), (3, 0.5, 'uniform', 'pred_x0', True), (3, 0, 'quad', 'pred_eps', False), (3, 0, 'quad', 'pred_x0', True)]


def main():
    net = CondStandIn().double().eval()
    net.load_state_dict(torch.load(os.path.join(FIXTURE, 'standin.pt'))['ema']['shadow'])
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    with open(os.path.join(FIXTURE, 'standin.yaml')) as f:
        cfg = yaml.safe_load(f)
    cfg['seed'] = SEED
    with open(os.path.join(OUT, 'config.yaml'), 'w') as f:
        yaml.safe_dump(cfg, f, sort_keys=False)
    noise = np.random.default_rng(SEED).standard_normal((CLASSES, 3, 16, 16)).astype(np.float32)
    np.save(os.path.join(OUT, 'noise.npy'), noise)
    labels = list(range(CLASSES))  # --n_samples_each_class 1: item i has class i
    for s, eta, skip, objective, clip in CASES:
        name = f's{s}_eta{eta}_{skip}_{objective}_{"clip" if clip else "noclip"}'
        expected, seq = guided_ddim(net, noise, labels, s, eta, skip, objective, clip)
        os.makedirs(os.path.join(OUT, name))
        np.save(os.path.join(OUT, name, 'expected.npy'), expected)
        args = ['--n_samples_each_class', '1', '--guidance_scale', str(s), '--ddim_eta', str(eta), '--skip_type', skip,
                '--skip_steps', str(STEPS), '--noise', '../noise.npy', f'diffusion.params.objective={objective}',
                f'diffusion.params.clip_denoised={"true" if clip else "false"}']
        with open(os.path.join(OUT, name, 'case.json'), 'w') as f:
            json.dump({'args': args, 'timesteps': seq, 'shape': list(expected.shape)}, f, indent=1)
        print(name)


if __name__ == '__main__':
    main()
