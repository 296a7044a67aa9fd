#!/usr/bin/python3
"""Train MNIST MLPs of the PROVEN paper's size (784-1024-1024-1024-10, ReLU), one standard and one
PGD-adversarially trained, on ../shared/data/mnist_5k.csv.gz, and export them to ONNX.

The models are NOT committed (about 12 MB each); examples/paper_experiment picks them up from
target/paper-models/ when they exist (`--nets mlp3x1024_standard,mlp3x1024_pgd`).

Run from the repository root with Debian's torch (apt-get install -y python3-torch
libopenblas0-pthread):

    /usr/bin/python3 scripts/train_mnist_paper.py            # ~10 min on 2 shared cores

Deterministic: fixed seed, fixed stratified split (4,000 train / 1,000 test), single thread
order of operations as torch gives it on CPU. Pixels are scaled to [0, 1] (the scale of
../shared/models/mnistfc/images.json). PGD (Madry et al., ICLR 2018): l_inf radius 0.1, 7 steps of
0.025, random start; the loss is the cross-entropy on the adversarial examples only.
"""

import argparse
import gzip
import json
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "..", "shared", "data", "mnist_5k.csv.gz")
OUT = os.path.join(ROOT, "target", "paper-models")


def load(seed):
    with gzip.open(DATA, "rt") as f:
        rows = np.loadtxt(f, delimiter=",", dtype=np.float32)
    x = rows[:, :784] / 255.0
    y = rows[:, 784].astype(np.int64)
    rng = np.random.default_rng(seed)
    train, test = [], []
    for c in range(10):
        idx = np.flatnonzero(y == c)
        rng.shuffle(idx)
        test.extend(idx[:100])
        train.extend(idx[100:])
    train, test = np.array(train), np.array(test)
    rng.shuffle(train)
    t = lambda a: torch.from_numpy(np.ascontiguousarray(a))
    return t(x[train]), t(y[train]), t(x[test]), t(y[test])


def mlp(width, depth):
    layers, d = [], 784
    for _ in range(depth):
        layers += [nn.Linear(d, width), nn.ReLU()]
        d = width
    layers.append(nn.Linear(d, 10))
    return nn.Sequential(*layers)


def pgd(model, x, y, eps, steps, step):
    delta = (torch.rand_like(x) * 2 - 1) * eps
    for _ in range(steps):
        delta.requires_grad_(True)
        loss = F.cross_entropy(model(x + delta), y)
        (g,) = torch.autograd.grad(loss, delta)
        delta = (delta.detach() + step * g.sign()).clamp(-eps, eps)
    return (x + delta).detach()


def accuracy(model, x, y):
    with torch.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


def train(name, adversarial, args, data):
    xtr, ytr, xte, yte = data
    torch.manual_seed(args.seed)
    model = mlp(args.width, args.depth)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    start = time.time()
    for epoch in range(args.epochs):
        perm = torch.randperm(len(xtr))
        for i in range(0, len(xtr), args.batch):
            idx = perm[i : i + args.batch]
            x, y = xtr[idx], ytr[idx]
            if adversarial:
                model.eval()
                x = pgd(model, x, y, args.eps, args.pgd_steps, args.pgd_step)
                model.train()
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(
            f"{name} epoch {epoch + 1}/{args.epochs}: test accuracy {accuracy(model, xte, yte):.4f}"
            f" ({time.time() - start:.0f} s)",
            flush=True,
        )
    model.eval()
    info = {
        "name": name,
        "architecture": f"784-{'-'.join([str(args.width)] * args.depth)}-10 ReLU",
        "training": f"PGD l_inf eps {args.eps}, {args.pgd_steps} steps of {args.pgd_step}"
        if adversarial
        else "standard",
        "epochs": args.epochs,
        "seed": args.seed,
        "test_accuracy": accuracy(model, xte, yte),
        "test_images": len(xte),
        "seconds": time.time() - start,
    }
    if adversarial:
        xa = pgd(model, xte, yte, args.eps, 20, args.eps / 8)
        info["pgd20_test_accuracy"] = accuracy(model, xa, yte)
    path = os.path.join(OUT, f"{name}.onnx")
    torch.onnx.export(model, torch.zeros(1, 784), path, input_names=["input"],
                      output_names=["logits"], opset_version=13)
    with open(os.path.join(OUT, f"{name}.json"), "w") as f:
        json.dump(info, f, indent=1)
    print(json.dumps(info), flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--width", type=int, default=1024)
    p.add_argument("--depth", type=int, default=3)
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--eps", type=float, default=0.1)
    p.add_argument("--pgd-steps", type=int, default=7)
    p.add_argument("--pgd-step", type=float, default=0.025)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    os.makedirs(OUT, exist_ok=True)
    data = load(args.seed)
    tag = f"mlp{args.depth}x{args.width}"
    train(f"{tag}_standard", False, args, data)
    train(f"{tag}_pgd", True, args, data)


if __name__ == "__main__":
    main()
