"""Logging GPU memory around a forward/backward pass."""
import torch


def log_memory(tag):
    allocated = torch.cuda.memory_allocated() / 2**20
    peak = torch.cuda.max_memory_allocated() / 2**20
    reserved = torch.cuda.memory_reserved() / 2**20
    print(f"[{tag}] allocated {allocated:.2f} MiB, peak {peak:.2f} MiB, reserved {reserved:.2f} MiB")
    return allocated, peak


def main():
    torch.cuda.reset_peak_memory_stats()
    device = torch.device("cuda")
    model = torch.nn.Linear(128, 128).to(device)
    log_memory("model")
    x = torch.randn(256, 128, device=device, requires_grad=True)
    model(x).pow(2).mean().backward()
    allocated, peak = log_memory("backward")
    assert peak >= allocated >= 0
    del x
    torch.cuda.empty_cache()
    log_memory("after empty_cache")
    print("OK memory_logging")


if __name__ == "__main__":
    main()
