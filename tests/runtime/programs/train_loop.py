"""A minimal CUDA training loop: .cuda(), device="cuda", torch.cuda.synchronize."""
import time

import torch
import torch.nn as nn


class TinyNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 2))

    def forward(self, x):
        return self.body(x)


def main():
    torch.manual_seed(0)
    model = TinyNet().cuda()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    inputs = torch.randn(64, 8, device="cuda")
    targets = (inputs.sum(dim=1) > 0).long().cuda()
    start = time.perf_counter()
    for step in range(20):
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(inputs), targets)
        loss.backward()
        optimizer.step()
    torch.cuda.synchronize()
    elapsed = time.perf_counter() - start
    assert loss.item() < 0.7, loss.item()
    print(f"loss {loss.item():.3f} in {elapsed:.3f}s")
    print("OK train_loop")


if __name__ == "__main__":
    main()
