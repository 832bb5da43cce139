"""Train the Fashion-MNIST classifier used as `ddim eval`'s default feature model.

    /usr/bin/python3 tools/train_classifier.py --out runs/classifier --max-seconds 600
Writes classifier.pt and prints the test accuracy.
"""
import argparse
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from classifier import Classifier  # noqa: E402
from train_ddpm import DATA_DIR, load_idx_images, load_idx_labels, save_atomic, to_model_space  # noqa: E402


def load_split(data_dir, prefix, device):
    x = to_model_space(load_idx_images(os.path.join(data_dir, f'{prefix}-images-idx3-ubyte.gz')))
    y = torch.from_numpy(load_idx_labels(os.path.join(data_dir, f'{prefix}-labels-idx1-ubyte.gz')))
    return x.to(device), y.to(device)


@torch.no_grad()
def accuracy(model, x, y, batch=1000):
    model.eval()
    correct = sum((model(x[i:i + batch])[1].argmax(1) == y[i:i + batch]).sum().item() for i in range(0, len(x), batch))
    return correct / len(x)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--out', required=True)
    parser.add_argument('--data-dir', default=DATA_DIR)
    parser.add_argument('--epochs', type=int, default=15)
    parser.add_argument('--max-seconds', type=float, default=3600)
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    args = parser.parse_args()
    device = torch.device(args.device)
    torch.manual_seed(0)

    x_train, y_train = load_split(args.data_dir, 'train', device)
    x_test, y_test = load_split(args.data_dir, 't10k', device)
    model = Classifier().to(device)
    optim = torch.optim.Adam(model.parameters(), lr=1e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(optim, args.epochs)
    start = time.time()
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(len(x_train), device=device)
        for i in range(0, len(perm), 128):
            idx = perm[i:i + 128]
            x = x_train[idx]
            flip = torch.rand(len(idx), device=device) < 0.5
            x = torch.where(flip[:, None, None, None], x.flip(3), x)
            loss = F.cross_entropy(model(x)[1], y_train[idx])
            optim.zero_grad(set_to_none=True)
            loss.backward()
            optim.step()
        sched.step()
        print(f'epoch {epoch + 1}: test accuracy {accuracy(model, x_test, y_test):.4f}', flush=True)
        if time.time() - start > args.max_seconds:
            break
    os.makedirs(args.out, exist_ok=True)
    acc = accuracy(model, x_test, y_test)
    save_atomic({'model': model.state_dict(), 'test_accuracy': acc}, os.path.join(args.out, 'classifier.pt'))
    print(f'final test accuracy {acc:.4f}', flush=True)


if __name__ == '__main__':
    main()
