"""Mixed precision with the deprecated torch.cuda.amp API, including an aliased import."""
import torch
import torch.nn.functional as F
from torch.cuda.amp import GradScaler
from torch.cuda.amp import autocast as ac


def main():
    torch.manual_seed(0)
    model = torch.nn.Linear(16, 4).cuda()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    scaler = GradScaler()
    other = torch.cuda.amp.GradScaler(init_scale=1024.0)
    data = torch.randn(32, 16).cuda()
    labels = torch.randint(0, 4, (32,)).cuda()
    for _ in range(5):
        optimizer.zero_grad()
        with ac():
            logits = model(data)
            loss = F.cross_entropy(logits, labels)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
    with torch.cuda.amp.autocast(dtype=torch.float16):
        probe = model(data)
    assert torch.isfinite(loss).item()
    print("scale", scaler.get_scale(), "other", other.get_scale(), "probe dtype", probe.dtype)
    print("OK amp_scaler")


if __name__ == "__main__":
    main()
