"""One process per GPU started with mp.spawn; the process count is the number of GPUs."""
import os
import socket
import sys
import tempfile

import torch
import torch.distributed as dist
import torch.multiprocessing as mp


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def worker(rank, world_size, port, out_dir):
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(port)
    dist.init_process_group(backend="gloo", rank=rank, world_size=world_size)
    t = torch.ones(2) * (rank + 1)
    dist.all_reduce(t)
    with open(os.path.join(out_dir, f"rank{rank}.txt"), "w") as handle:
        handle.write(str(t.sum().item()))
    dist.destroy_process_group()


def main():
    world_size = torch.cuda.device_count()
    with tempfile.TemporaryDirectory() as out_dir:
        mp.spawn(worker, args=(world_size, free_port(), out_dir), nprocs=world_size, join=True)
        ranks = sorted(os.listdir(out_dir))
    print("world size", world_size, "ranks that trained", ranks)
    if not ranks:
        sys.exit("no process was started: nothing was trained")
    print("OK spawn_launcher")


if __name__ == "__main__":
    main()
