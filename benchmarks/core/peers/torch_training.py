"""PyTorch CPU peer of bench:core-training: LeNet-5 and ResNet-8 of @lowrank/models
(same layers, same names), SGD steps (cross-entropy, momentum 0.9) at batch 64 on
28x28 inputs. Prints one JSON object {torch, threads, rows: [{model, imagesPerSecond}]}.

    /usr/bin/python3 torch_training.py --threads 1 --min-seconds 4
"""

import argparse
import json
import statistics
import time

import torch
from torch import nn


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        h = nn.functional.max_pool2d(torch.relu(self.conv1(x)), 2)
        h = nn.functional.max_pool2d(torch.relu(self.conv2(h)), 2)
        h = torch.relu(self.fc1(h.flatten(1)))
        h = torch.relu(self.fc2(h))
        return self.fc3(h)


class BasicBlock(nn.Module):
    def __init__(self, in_c, out_c, stride):
        super().__init__()
        self.c1 = nn.Conv2d(in_c, out_c, 3, stride=stride, padding=1, bias=False)
        self.b1 = nn.BatchNorm2d(out_c)
        self.c2 = nn.Conv2d(out_c, out_c, 3, padding=1, bias=False)
        self.b2 = nn.BatchNorm2d(out_c)
        self.short = None
        if stride != 1 or in_c != out_c:
            self.short = nn.Sequential(
                nn.Conv2d(in_c, out_c, 1, stride=stride, bias=False), nn.BatchNorm2d(out_c)
            )

    def forward(self, x):
        main = self.b2(self.c2(torch.relu(self.b1(self.c1(x)))))
        skip = self.short(x) if self.short is not None else x
        return torch.relu(main + skip)


class ResNet8(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        self.layer1 = BasicBlock(16, 16, 1)
        self.layer2 = BasicBlock(16, 32, 2)
        self.layer3 = BasicBlock(32, 64, 2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        h = self.layer3(self.layer2(self.layer1(self.stem(x))))
        return self.fc(self.pool(h).flatten(1))


def throughput(model, batch, min_steps, min_seconds):
    torch.manual_seed(0)
    x = torch.randn(batch, 1, 28, 28)
    labels = torch.tensor([(i * 7) % 10 for i in range(batch)])
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()

    def step():
        optimizer.zero_grad()
        loss_fn(model(x), labels).backward()
        optimizer.step()

    for _ in range(2):
        step()
    times = []
    start = time.perf_counter()
    while len(times) < min_steps or time.perf_counter() - start < min_seconds:
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return batch / statistics.median_low(times), len(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=0, help="0 keeps torch's default")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--min-steps", type=int, default=5)
    parser.add_argument("--min-seconds", type=float, default=4)
    parser.add_argument("--models", default="LeNet-5,ResNet-8", help="comma-separated")
    args = parser.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    rows = []
    for name, make in (("LeNet-5", LeNet5), ("ResNet-8", ResNet8)):
        if name not in args.models.split(","):
            continue
        ips, steps = throughput(make().train(), args.batch, args.min_steps, args.min_seconds)
        rows.append({"model": name, "imagesPerSecond": ips, "steps": steps})
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "rows": rows}))


if __name__ == "__main__":
    main()
