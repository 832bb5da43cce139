"""Train the default DDPMs (epsilon prediction) on Fashion-MNIST, padded to 32x32.

Offline tool: the toolkit itself never runs Python. Checkpoints are written
atomically every --save-every seconds and training resumes from the latest one,
so it can run in several stretches (on a CPU or a GPU).

    /usr/bin/python3 tools/train_ddpm.py -c models/ddpm_fashion_mnist.yaml \
        --ckpt-dir runs/fmnist --max-seconds 3600

A config with model.params.num_classes trains a class-conditional network with the
original code base's classifier-free recipe (scripts/train_ddpm_cfg.py): each batch
carries its labels, and with probability train.p_uncond the labels of the WHOLE batch
are dropped (y=None), which trains the unconditional model that guidance needs.

    /usr/bin/python3 tools/train_ddpm.py -c models/ddpm_fashion_mnist_cond.yaml \
        --ckpt-dir /work/train-cond-runs --max-seconds 5400
"""
import argparse
import copy
import gzip
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from unet import UNet  # noqa: E402

DATA_DIR = '/usr/share/datasets/fashion-mnist'


def load_idx_images(path):
    """Fashion-MNIST idx3 file -> uint8 array [N, 28, 28]."""
    with gzip.open(path, 'rb') as f:
        raw = f.read()
    count = int.from_bytes(raw[4:8], 'big')
    return np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(count, 28, 28)


def load_idx_labels(path):
    with gzip.open(path, 'rb') as f:
        raw = f.read()
    return np.frombuffer(raw, dtype=np.uint8, offset=8).astype(np.int64)


def to_model_space(images_u8):
    """uint8 [N,28,28] -> float32 [N,1,32,32] in [-1, 1], padded with black (-1)."""
    x = torch.from_numpy(images_u8.copy()).float().div(127.5).sub(1.0)[:, None]
    return F.pad(x, (2, 2, 2, 2), value=-1.0)


def draw_batch(data, labels, batch_size, p_uncond):
    """A random batch, randomly mirrored, with its labels (None: unconditional batch)."""
    idx = torch.randint(0, data.shape[0], (batch_size,), device=data.device)
    x0 = data[idx]
    flip = torch.rand(batch_size, device=data.device) < 0.5
    x0 = torch.where(flip[:, None, None, None], x0.flip(3), x0)
    if labels is None or torch.rand(()).item() < p_uncond:
        return x0, None
    return x0, labels[idx]


def betas_for(params):
    if params['beta_schedule'] != 'linear':
        raise SystemExit('train_ddpm.py trains with the linear beta schedule only')
    return torch.linspace(params['beta_start'], params['beta_end'], params['total_steps'], dtype=torch.float64)


def save_atomic(obj, path):
    tmp = path + '.tmp'
    torch.save(obj, tmp)
    os.replace(tmp, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('-c', '--config', required=True)
    parser.add_argument('--ckpt-dir', required=True)
    parser.add_argument('--data-dir', default=DATA_DIR)
    parser.add_argument('--max-seconds', type=float, default=3600)
    parser.add_argument('--max-steps', type=int, default=10**9)
    parser.add_argument('--save-every', type=float, default=300, help='seconds between checkpoints')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--batch-size', type=int, default=0, help='override train.batch_size')
    parser.add_argument('--threads', type=int, default=0, help='CPU threads (0: torch default)')
    args = parser.parse_args()

    with open(args.config) as f:
        cfg = yaml.safe_load(f)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    torch.manual_seed(cfg.get('seed', 0))

    data = to_model_space(load_idx_images(os.path.join(args.data_dir, 'train-images-idx3-ubyte.gz'))).to(device)
    conditional = bool(cfg['model']['params'].get('num_classes'))
    labels = None
    if conditional:
        labels = torch.from_numpy(load_idx_labels(os.path.join(args.data_dir, 'train-labels-idx1-ubyte.gz'))).to(device)
    betas = betas_for(cfg['diffusion']['params'])
    alphas_cumprod = torch.cumprod(1 - betas, 0)
    sqrt_ac = alphas_cumprod.sqrt().float().to(device)
    sqrt_1mac = (1 - alphas_cumprod).sqrt().float().to(device)
    total_steps = len(betas)

    model = UNet(**cfg['model']['params']).to(device)
    ema = copy.deepcopy(model).eval().requires_grad_(False)
    train_cfg = cfg['train']
    p_uncond = train_cfg.get('p_uncond', 0.0)
    optim = torch.optim.Adam(model.parameters(), lr=train_cfg['lr'])
    step = 0

    os.makedirs(args.ckpt_dir, exist_ok=True)
    paths = {name: os.path.join(args.ckpt_dir, f'{name}.pt') for name in ('model', 'ema', 'optimizer')}
    if os.path.exists(paths['model']):
        saved = torch.load(paths['model'], map_location=device)
        model.load_state_dict(saved['model'])
        step = saved['step']
        ema.load_state_dict(torch.load(paths['ema'], map_location=device)['ema']['shadow'])
        if os.path.exists(paths['optimizer']):
            optim.load_state_dict(torch.load(paths['optimizer'], map_location=device))
        print(f'resumed from {args.ckpt_dir} at step {step}', flush=True)

    def save():
        # One file per state dict: each stays small enough to move around, and ema.pt has
        # the original code base's {'ema': {'shadow': ...}} layout that export_onnx.py reads.
        save_atomic({'model': model.state_dict(), 'step': step}, paths['model'])
        save_atomic({'ema': {'shadow': ema.state_dict()}, 'step': step}, paths['ema'])
        save_atomic(optim.state_dict(), paths['optimizer'])
        print(f'step {step}: saved {args.ckpt_dir}', flush=True)

    ema_decay = cfg['model'].get('ema_decay', 0.9995)
    batch_size = args.batch_size or train_cfg['batch_size']
    use_bf16 = device.type == 'cuda'
    start = last_save = last_print = time.time()
    run_steps = 0
    model.train()
    while time.time() - start < args.max_seconds and step < args.max_steps:
        x0, y = draw_batch(data, labels, batch_size, p_uncond)
        t = torch.randint(0, total_steps, (batch_size,), device=device)
        noise = torch.randn_like(x0)
        xt = sqrt_ac[t][:, None, None, None] * x0 + sqrt_1mac[t][:, None, None, None] * noise
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_bf16):
            pred = model(xt, t) if y is None else model(xt, t, y)
        loss = F.mse_loss(pred.float(), noise)
        optim.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), train_cfg.get('clip_grad_norm', 1.0))
        optim.step()
        # Warm the EMA up gradually, so a short run is not dominated by the random init.
        decay = min(ema_decay, (1 + step) / (10 + step))
        with torch.no_grad():
            ema_params, model_params = list(ema.parameters()), list(model.parameters())
            torch._foreach_mul_(ema_params, decay)
            torch._foreach_add_(ema_params, model_params, alpha=1 - decay)
            for be, bm in zip(ema.buffers(), model.buffers()):
                be.copy_(bm)
        step += 1
        run_steps += 1
        now = time.time()
        if now - last_print > 30:
            print(f'step {step} loss {loss.item():.4f} {run_steps / (now - start):.1f} it/s', flush=True)
            last_print = now
        if now - last_save > args.save_every:
            save()
            last_save = now
    save()


if __name__ == '__main__':
    main()
