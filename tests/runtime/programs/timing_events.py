"""Timing a forward pass with CUDA events and synchronize."""
import torch

model = torch.nn.Sequential(torch.nn.Linear(32, 32), torch.nn.GELU(), torch.nn.Linear(32, 8)).to("cuda")
x = torch.randn(16, 32, device="cuda")

torch.cuda.synchronize()
start = torch.cuda.Event(enable_timing=True)
end = torch.cuda.Event(enable_timing=True)
start.record()
for _ in range(10):
    y = model(x)
end.record()
torch.cuda.synchronize()
print(f"forward x10: {start.elapsed_time(end):.3f} ms, out {tuple(y.shape)}")
print("OK timing_events")
