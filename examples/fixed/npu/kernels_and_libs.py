"""A model file that leans on CUDA-only libraries and tooling.

This file is meant for ``portlint check``: it shows the constructs that have no mechanical
port (fused optimizers, custom kernels, NVML queries, CUDA extensions, profiling). It is not
meant to run without an NVIDIA GPU and its libraries.
"""

import os

import pynvml
import torch
import torch_npu
import torch.nn.functional as F
import triton
import triton.language as tl
from apex.optimizers import FusedAdam
from flash_attn import flash_attn_func

os.environ["ASCEND_LAUNCH_BLOCKING"] = "1"
os.environ["PYTORCH_NPU_ALLOC_CONF"] = "expandable_segments:True"


@triton.jit
def add_kernel(x_ptr, y_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offsets < n
    tl.store(out_ptr + offsets, tl.load(x_ptr + offsets, mask=mask) + tl.load(y_ptr + offsets, mask=mask), mask=mask)


def gpu_free_memory_mib(index=0):
    pynvml.nvmlInit()
    handle = pynvml.nvmlDeviceGetHandleByIndex(index)
    info = pynvml.nvmlDeviceGetMemoryInfo(handle)
    return info.free / 2**20


def attention(q, k, v):
    if q.dtype in (torch.float16, torch.bfloat16):
        return flash_attn_func(q, k, v, causal=True)
    return F.scaled_dot_product_attention(q, k, v, is_causal=True)


def build_extension():
    """What a setup.py for the fused kernels of this model looks like."""
    from setuptools import setup
    from torch.utils.cpp_extension import BuildExtension, CUDAExtension

    setup(
        name="fused_ops",
        ext_modules=[CUDAExtension("fused_ops", ["csrc/fused_ops.cpp", "csrc/fused_ops_kernel.cu"])],
        cmdclass={"build_ext": BuildExtension},
    )


def train_step(model, batch):
    optimizer = FusedAdam(model.parameters(), lr=1e-3)
    with torch_npu.profiler.profile(activities=[torch_npu.profiler.ProfilerActivity.CPU, torch_npu.profiler.ProfilerActivity.NPU]) as prof:
        torch.cuda.nvtx.range_push("forward")
        loss = model(batch.npu()).float().pow(2).mean()
        torch.cuda.nvtx.range_pop()
        loss.backward()
        optimizer.step()
    print(prof.key_averages().table(sort_by="cuda_time_total", row_limit=5))
    print(f"free GPU memory: {gpu_free_memory_mib():.0f} MiB")
