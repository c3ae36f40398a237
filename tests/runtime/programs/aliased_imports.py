"""The same CUDA calls through aliases: import torch as th, from torch import cuda."""
import torch as th
from torch import cuda

net = th.nn.Linear(3, 3).cuda()
batch = th.ones(2, 3, device="cuda")
cuda.synchronize()
out = net(batch)
cuda.empty_cache()
if out.is_cuda:
    print("ran on the GPU")
print("allocated", cuda.memory_allocated())
print("OK aliased_imports")
