"""Save a checkpoint and load it back onto the GPU with map_location="cuda:0"."""
import os
import tempfile

import torch


def main():
    model = torch.nn.Linear(4, 3)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "ckpt.pt")
        torch.save({"model": model.state_dict(), "epoch": 3}, path)
        state = torch.load(path, map_location="cuda:0")
        restored = torch.nn.Linear(4, 3).to("cuda:0")
        restored.load_state_dict(state["model"])
    x = torch.ones(2, 4).cuda()
    same = torch.allclose(restored(x).cpu(), model(x.cpu()))
    assert same and state["epoch"] == 3
    print("restored epoch", state["epoch"])
    print("OK checkpoint_load")


if __name__ == "__main__":
    main()
