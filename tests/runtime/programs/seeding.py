"""Reproducibility setup: CUDA seeds and cuDNN flags, checked by drawing twice."""
import random

import torch


def seed_everything(seed):
    random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False


def draw():
    return torch.randn(4, device="cuda").tolist()


def main():
    seed_everything(1234)
    first = draw()
    seed_everything(1234)
    second = draw()
    assert first == second, (first, second)
    print("draws", [round(v, 4) for v in first])
    print("OK seeding")


if __name__ == "__main__":
    main()
