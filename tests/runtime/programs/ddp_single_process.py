"""A one-process DistributedDataParallel run whose device index lives in a variable."""
import os
import socket

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def setup(rank, world_size, backend="nccl"):
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(free_port())
    dist.init_process_group(backend, rank=rank, world_size=world_size)
    torch.cuda.set_device(rank)


def main():
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    setup(local_rank, 1)
    model = torch.nn.Linear(8, 2).to(local_rank)
    ddp = DDP(model, device_ids=[local_rank], output_device=local_rank)
    optimizer = torch.optim.SGD(ddp.parameters(), lr=0.1)
    x = torch.randn(16, 8).to(local_rank)
    y = torch.randint(0, 2, (16,)).to(local_rank)
    losses = []
    for _ in range(3):
        optimizer.zero_grad()
        loss = F.cross_entropy(ddp(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
    print("backend", dist.get_backend(), "losses", [round(v, 3) for v in losses])
    dist.destroy_process_group()
    print("OK ddp_single_process")


if __name__ == "__main__":
    main()
