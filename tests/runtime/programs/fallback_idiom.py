"""The 'cuda if available else cpu' idiom: runs on CPU, but only ever picks CUDA as accelerator."""
import torch

device = "cuda" if torch.cuda.is_available() else "cpu"
use_amp = torch.cuda.is_available()
model = torch.nn.Linear(5, 1).to(device)
x = torch.randn(10, 5).to(device)
scaler = torch.cuda.amp.GradScaler(enabled=use_amp)
with torch.cuda.amp.autocast(enabled=use_amp):
    loss = model(x).pow(2).mean()
scaler.scale(loss).backward()
on_gpu = x.is_cuda
print("device", device, "amp", use_amp, "on_gpu", on_gpu)
print("OK fallback_idiom")
