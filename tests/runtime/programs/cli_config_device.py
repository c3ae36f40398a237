"""Devices chosen by a CLI option and a config dataclass: `--device` with default "cuda",
`--gpu` with type=int, a dataclass whose `gpu_id` default is an int, `torch.device(rank)`
and `device=gpu` in a tensor factory. (Issue 9: args.X and cfg.x followed to their defaults.)"""
import argparse
from dataclasses import dataclass

import torch


@dataclass
class TrainConfig:
    hidden: int = 8
    gpu_id: int = 0


def build_parser():
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--gpu", type=int, default=0)
    parser.add_argument("--steps", type=int, default=3)
    return parser


parser = build_parser()
args = parser.parse_args([])
cfg = TrainConfig()


def main():
    torch.manual_seed(0)
    model = torch.nn.Linear(4, cfg.hidden).cuda()
    head = torch.nn.Linear(cfg.hidden, 2).to(cfg.gpu_id)
    rank = int("0")
    where = torch.device(rank)
    optimizer = torch.optim.SGD([*model.parameters(), *head.parameters()], lr=0.1)
    for _ in range(args.steps):
        x = torch.randn(5, 4).to(args.device)
        target = torch.zeros(5, dtype=torch.long, device=args.gpu)
        loss = torch.nn.functional.cross_entropy(head(model(x)).to(where), target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print("loss", round(loss.item(), 4))
    print("OK cli_config_device")


if __name__ == "__main__":
    main()
