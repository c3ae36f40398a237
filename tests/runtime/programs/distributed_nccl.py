"""World-size-1 torch.distributed run on the NCCL backend."""
import os
import socket

import torch
import torch.distributed as dist


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main():
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(free_port())
    rank, world_size = 0, 1
    dist.init_process_group("nccl", rank=rank, world_size=world_size)
    torch.cuda.set_device(rank)
    tensor = torch.ones(3, device=f"cuda:{rank}")
    dist.all_reduce(tensor)
    assert tensor.tolist() == [1.0, 1.0, 1.0]
    dist.barrier()
    print("backend", dist.get_backend(), "sum", tensor.tolist())
    dist.destroy_process_group()
    print("OK distributed_nccl")


if __name__ == "__main__":
    main()
