"""Train a small classifier with automatic mixed precision on one GPU.

A typical single-GPU training script: the model is moved with ``.cuda()``, AMP uses the
``torch.cuda.amp`` API, and GPU memory is logged after every epoch.

    python examples/train_amp.py --epochs 2
"""

import argparse
import time

import torch
import torch_npu  # noqa: F401
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args()


class MLP(nn.Module):
    def __init__(self, features=20, hidden=64, classes=4):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(features, hidden), nn.GELU(), nn.Dropout(0.1), nn.Linear(hidden, classes)
        )

    def forward(self, x):
        return self.net(x)


def make_dataset(samples=512, features=20, classes=4, seed=0):
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(samples, features, generator=generator)
    teacher = torch.randn(features, classes, generator=generator)
    y = (x @ teacher).argmax(dim=1)
    return TensorDataset(x, y)


def log_memory(tag):
    allocated = torch.npu.memory_allocated() / 2**20
    peak = torch.npu.max_memory_allocated() / 2**20
    print(f"  [{tag}] memory allocated {allocated:.1f} MiB, peak {peak:.1f} MiB")


def main():
    args = parse_args()
    torch.manual_seed(args.seed)
    torch.cuda.manual_seed_all(args.seed)
    torch.backends.cudnn.benchmark = True

    loader = DataLoader(make_dataset(seed=args.seed), batch_size=args.batch_size,
                        shuffle=True, pin_memory=True)
    model = MLP().npu()
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr)
    scaler = torch.amp.GradScaler("npu")

    torch.npu.reset_peak_memory_stats()
    for epoch in range(args.epochs):
        model.train()
        running = torch.zeros((), dtype=torch.float32, device="npu")
        start = time.perf_counter()
        for x, y in loader:
            x, y = x.npu(non_blocking=True), y.npu(non_blocking=True)
            optimizer.zero_grad(set_to_none=True)
            with torch.amp.autocast("npu"):
                loss = F.cross_entropy(model(x), y)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            running += loss.detach().float()
        torch.npu.synchronize()
        elapsed = time.perf_counter() - start
        print(f"epoch {epoch}: loss {running.item() / len(loader):.4f} ({elapsed:.2f}s)")
        log_memory(f"epoch {epoch}")

    model.eval()
    correct = 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.npu(), y.npu()
            correct += (model(x).argmax(dim=1) == y).sum().item()
    accuracy = correct / len(loader.dataset)
    print(f"train accuracy {accuracy:.2%}")
    torch.npu.empty_cache()
    print("OK train_amp")


if __name__ == "__main__":
    main()
