"""Selecting attention kernels with torch.backends.cuda.sdp_kernel and TF32 flags."""
import torch
import torch.nn.functional as F

torch.backends.cuda.matmul.allow_tf32 = True
torch.backends.cudnn.allow_tf32 = True

q = torch.randn(2, 4, 8, 16, device="cuda")
k = torch.randn(2, 4, 8, 16, device="cuda")
v = torch.randn(2, 4, 8, 16, device="cuda")
with torch.backends.cuda.sdp_kernel(enable_flash=True, enable_math=True, enable_mem_efficient=True):
    out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
assert out.shape == (2, 4, 8, 16)
print("attention", tuple(out.shape))
print("OK sdp_kernel")
