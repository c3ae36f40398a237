"""torch.device built with keywords."""
import torch


def main():
    dev = torch.device(type="cuda", index=0)
    weights = torch.zeros(3, 3, device=dev)
    x = torch.ones(2, 3, device=dev)
    y = x @ weights
    assert y.sum().item() == 0
    print("device type", y.device.type)
    print("OK keyword_device")


if __name__ == "__main__":
    main()
