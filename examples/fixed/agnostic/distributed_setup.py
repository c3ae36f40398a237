"""Data-parallel training entry point, one process per GPU (NCCL + DistributedDataParallel).

Launch with torchrun, or run it directly for a single-process job:

    torchrun --nproc_per_node=2 examples/distributed_setup.py
    python examples/distributed_setup.py
"""

import os
import socket

import torch
import torch.distributed as dist
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler

DEVICE = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def configure_environment():
    """Defaults for a single-process run; torchrun sets the real values."""
    os.environ.setdefault("CUDA_VISIBLE_DEVICES", "0")
    os.environ.setdefault("NCCL_DEBUG", "WARN")
    os.environ.setdefault("NCCL_IB_DISABLE", "1")
    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    os.environ.setdefault("MASTER_PORT", str(_free_port()))
    os.environ.setdefault("RANK", "0")
    os.environ.setdefault("LOCAL_RANK", "0")
    os.environ.setdefault("WORLD_SIZE", "1")


def init_distributed():
    local_rank = int(os.environ["LOCAL_RANK"])
    if torch.accelerator.is_available():
        torch.accelerator.set_device_index(local_rank)
    dist.init_process_group(
        backend=torch.distributed.get_default_backend_for_device(DEVICE),
        init_method="env://",
    )
    return local_rank


def main():
    configure_environment()
    local_rank = init_distributed()
    rank, world_size = dist.get_rank(), dist.get_world_size()

    torch.manual_seed(0)
    dataset = TensorDataset(torch.randn(256, 16), torch.randn(256, 1))
    sampler = DistributedSampler(dataset, num_replicas=world_size, rank=rank, shuffle=True)
    loader = DataLoader(dataset, batch_size=32, sampler=sampler, pin_memory=True)

    model = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 1)).to(DEVICE)
    model = DDP(model, device_ids=[local_rank] if torch.accelerator.is_available() else None,
                output_device=local_rank if DEVICE != "cpu" else None)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)

    for epoch in range(2):
        sampler.set_epoch(epoch)
        for x, y in loader:
            x, y = x.to(DEVICE, non_blocking=True), y.to(DEVICE, non_blocking=True)
            optimizer.zero_grad()
            loss = nn.functional.mse_loss(model(x), y)
            loss.backward()
            optimizer.step()
        summed = loss.detach().clone()
        dist.all_reduce(summed, op=dist.ReduceOp.SUM)
        if rank == 0:
            print(f"epoch {epoch}: mean loss {summed.item() / world_size:.4f} "
                  f"(backend {dist.get_backend()}, world size {world_size})")

    dist.barrier()
    dist.destroy_process_group()
    print("OK distributed_setup")


if __name__ == "__main__":
    main()
