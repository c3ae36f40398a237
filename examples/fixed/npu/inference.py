"""Batch inference from a saved checkpoint on the GPU.

The script first writes a small checkpoint (standing in for a trained model) and then
loads it the way inference code usually does: ``map_location`` straight onto the GPU.

    python examples/inference.py
"""

import os
import tempfile

import torch
import torch_npu  # noqa: F401
import torch.nn as nn

device = "npu" if torch.npu.is_available() else "cpu"
torch.backends.cudnn.benchmark = True
torch.backends.cudnn.deterministic = False


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1))
        self.head = nn.Linear(8, 10)

    def forward(self, images):
        return self.head(self.features(images).flatten(1))


def save_checkpoint(path):
    torch.manual_seed(0)
    torch.save({"state_dict": Classifier().state_dict(), "classes": [f"class_{i}" for i in range(10)]}, path)


def load_model(path, rank=0):
    checkpoint = torch.load(path, map_location="npu:0")
    model = Classifier()
    model.load_state_dict(checkpoint["state_dict"])
    model = model.to(f"npu:{rank}").eval()
    return model, checkpoint["classes"]


@torch.no_grad()
def predict(model, images):
    images = images.npu()
    if images.is_cuda:
        images = images.contiguous(memory_format=torch.channels_last)
    logits = model(images)
    return logits.softmax(dim=1).cpu()


def main():
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "classifier.pt")
        save_checkpoint(path)
        model, classes = load_model(path)
    batch = torch.randn(4, 3, 16, 16, device=device)
    probs = predict(model, batch)
    for row in probs:
        best = int(row.argmax())
        print(f"{classes[best]}: {row[best]:.3f}")
    assert torch.allclose(probs.sum(dim=1), torch.ones(4))
    print("OK inference")


if __name__ == "__main__":
    main()
