"""Batches pinned by hand and copied to the GPU without blocking."""
import torch

device = "cuda"


def get_batch(data, block_size, batch_size, generator):
    starts = torch.randint(len(data) - block_size, (batch_size,), generator=generator)
    x = torch.stack([data[i:i + block_size] for i in starts])
    y = torch.stack([data[i + 1:i + 1 + block_size] for i in starts])
    x, y = x.pin_memory().to(device, non_blocking=True), y.pin_memory().to(device, non_blocking=True)
    return x, y


def main():
    generator = torch.Generator().manual_seed(0)
    data = torch.randint(0, 50, (500,), generator=generator)
    embedding = torch.nn.Embedding(50, 50).to(device)
    total = 0.0
    for _ in range(3):
        x, y = get_batch(data, 8, 4, generator)
        logits = embedding(x)
        total += torch.nn.functional.cross_entropy(logits.view(-1, 50), y.view(-1)).item()
    assert total > 0
    print("loss", round(total / 3, 3))
    print("OK pinned_batches")


if __name__ == "__main__":
    main()
