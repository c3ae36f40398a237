"""Start-up logging and dtype selection from CUDA device queries."""
import torch


def describe():
    count = torch.cuda.device_count()
    index = torch.cuda.current_device()
    name = torch.cuda.get_device_name(index)
    print(f"{count} device(s); using #{index}: {name}")
    return torch.device("cuda", index)


def main():
    device = describe()
    dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    x = torch.ones(4, 4, device=device, dtype=dtype)
    print("dtype", x.dtype, "device", x.device)
    print("OK device_info")


if __name__ == "__main__":
    main()
