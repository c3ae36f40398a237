"""A Trainer that keeps its GPU index in self.gpu_id (one process, as under torchrun)."""
import os
import tempfile

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class Trainer:
    def __init__(self, model, train_data, optimizer, gpu_id: int, save_dir):
        self.gpu_id = gpu_id
        self.model = model.to(self.gpu_id)
        self.train_data = train_data
        self.optimizer = optimizer
        self.save_dir = save_dir

    def _run_batch(self, source, targets):
        self.optimizer.zero_grad()
        loss = F.mse_loss(self.model(source), targets)
        loss.backward()
        self.optimizer.step()
        return loss.item()

    def _run_epoch(self):
        losses = []
        for source, targets in self.train_data:
            source = source.cuda(self.gpu_id)
            targets = targets.cuda(device=self.gpu_id, non_blocking=True)
            losses.append(self._run_batch(source, targets))
        return sum(losses) / len(losses)

    def train(self, epochs):
        history = [self._run_epoch() for _ in range(epochs)]
        if self.gpu_id == 0:
            torch.save(self.model.state_dict(), os.path.join(self.save_dir, "checkpoint.pt"))
        return history


def main():
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    torch.manual_seed(0)
    data = TensorDataset(torch.randn(64, 10), torch.randn(64, 1))
    loader = DataLoader(data, batch_size=16)
    model = torch.nn.Linear(10, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    with tempfile.TemporaryDirectory() as tmp:
        history = Trainer(model, loader, optimizer, local_rank, tmp).train(3)
        saved = os.listdir(tmp)
    assert history[-1] < history[0] and saved == ["checkpoint.pt"]
    print("losses", [round(v, 3) for v in history])
    print("OK trainer_gpu_id")


if __name__ == "__main__":
    main()
