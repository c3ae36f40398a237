"""An integer device index ("shorthand for cuda:0") kept in a variable."""
import torch

gpu_id = 0


def evaluate(model, batches):
    correct = 0
    for x, y in batches:
        x, y = x.to(gpu_id), y.to(gpu_id)
        correct += (model(x).argmax(dim=1) == y).sum().item()
    return correct


def main():
    torch.manual_seed(0)
    model = torch.nn.Linear(5, 3).to(gpu_id)
    batches = [(torch.randn(4, 5), torch.randint(0, 3, (4,))) for _ in range(3)]
    correct = evaluate(model, batches)
    assert 0 <= correct <= 12
    print("correct", correct)
    print("OK int_device")


if __name__ == "__main__":
    main()
