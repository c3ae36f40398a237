"""Wall-clock timing around torch.cuda.synchronize() (the common benchmark pattern)."""
import time

import torch


def bench(fn, *args, repeat=5):
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(repeat):
        out = fn(*args)
    torch.cuda.synchronize()
    return (time.perf_counter() - t0) / repeat, out


def main():
    a = torch.randn(64, 64, device="cuda:0")
    b = torch.randn(64, 64, device="cuda:0")
    seconds, out = bench(torch.matmul, a, b)
    assert out.shape == (64, 64)
    print(f"matmul {seconds * 1e3:.3f} ms on {out.device}")
    print("OK timing_sync")


if __name__ == "__main__":
    main()
