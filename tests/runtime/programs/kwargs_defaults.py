"""Device strings that arrive as defaults of kwargs.get, getattr and dict.get."""
import argparse

import torch


class Predictor:
    def __init__(self, **kwargs):
        self.device = kwargs.get("device", "cuda")
        self.model = torch.nn.Linear(3, 1).to(self.device)

    def __call__(self, x):
        return self.model(x.to(self.device))


def build_inputs(args, config):
    device = getattr(args, "device", "cuda")
    batch = config.get("device", "cuda:0")
    return torch.ones(4, 3, device=device), torch.zeros(4, 1, device=batch)


def main():
    args = argparse.Namespace(epochs=1)
    x, target = build_inputs(args, {"batch_size": 4})
    predictor = Predictor(threshold=0.5)
    out = predictor(x)
    assert out.shape == target.shape
    print("prediction on", out.device.type)
    print("OK kwargs_defaults")


if __name__ == "__main__":
    main()
