"""Resume training from a snapshot loaded with an f-string map_location held in a variable."""
import os
import tempfile

import torch


class Trainer:
    def __init__(self, model, snapshot_path, gpu_id=0):
        self.gpu_id = gpu_id
        self.model = model
        self.epochs_run = 0
        self.snapshot_path = snapshot_path
        if os.path.exists(snapshot_path):
            self._load_snapshot(snapshot_path)

    def _load_snapshot(self, snapshot_path):
        loc = f"cuda:{self.gpu_id}"
        snapshot = torch.load(snapshot_path, map_location=loc)
        self.model.load_state_dict(snapshot["MODEL_STATE"])
        self.epochs_run = snapshot["EPOCHS_RUN"]
        print("resumed from epoch", self.epochs_run)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "snapshot.pt")
        first = torch.nn.Linear(4, 2)
        torch.save({"MODEL_STATE": first.state_dict(), "EPOCHS_RUN": 5}, path)
        trainer = Trainer(torch.nn.Linear(4, 2), path)
    assert trainer.epochs_run == 5
    assert torch.equal(trainer.model.weight.detach().cpu(), first.weight.detach())
    print("OK snapshot_resume")


if __name__ == "__main__":
    main()
