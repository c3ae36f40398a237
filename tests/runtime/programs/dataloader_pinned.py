"""Feeding a model from a DataLoader with pinned memory and non-blocking copies."""
import torch
from torch.utils.data import DataLoader, TensorDataset


def main():
    features = torch.randn(40, 6)
    labels = torch.randint(0, 2, (40,))
    loader = DataLoader(TensorDataset(features, labels), batch_size=8, shuffle=False, pin_memory=True)
    model = torch.nn.Linear(6, 2).cuda()
    correct = 0
    for x, y in loader:
        x = x.cuda(non_blocking=True)
        y = y.to("cuda", non_blocking=True)
        correct += (model(x).argmax(dim=1) == y).sum().item()
    assert 0 <= correct <= 40
    print("batches", len(loader), "correct", correct)
    print("OK dataloader_pinned")


if __name__ == "__main__":
    main()
