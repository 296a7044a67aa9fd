#!/usr/bin/python3
"""Trains the digits models shipped in models/ (deterministic; CPU; about a minute).

Run from the repository root with Debian's PyTorch:

    apt-get install -y python3-torch libopenblas0-pthread
    /usr/bin/python3 scripts/train_digits.py

Data: data/digits.csv.gz (UCI "Optical Recognition of Handwritten Digits", CC BY 4.0, as shipped
inside scikit-learn): 64 grey levels 0..16 and a label per row. Pixels are scaled to [0, 1]
(x = level / 16). Split (the same rule as proven::datasets::digits): row i is a test image when
i % 5 == 0 (360 images), a training image otherwise (1,437 images).

Models (ReLU), each trained twice, once on clean images and once adversarially (PGD, Madry et al.
2018: l_inf eps = 0.1 on the [0, 1] scale, 7 steps of size 2.5 * eps / 7, random start, inputs
clipped to [0, 1]):
  - MLP 64-64-32-10, input [1, 64]                -> models/digits_mlp.onnx, digits_mlp_pgd.onnx
  - CNN input [1, 1, 8, 8]: conv 3x3 8 ch pad 1 -> ReLU -> conv 3x3 16 ch stride 2 pad 1 -> ReLU
    -> flatten (16 x 4 x 4) -> dense 10         -> models/digits_cnn.onnx, digits_cnn_pgd.onnx

Writes models/digits_metrics.json: clean and PGD test accuracy (PGD eval: eps = 0.1, 20 steps of
2.5 * eps / 20, random start), and the number of correct test images of each exported model
recomputed in float64 (what tests/digits.rs checks against proven's own forward pass).
"""

import gzip
import json
import os
import random

import numpy as np
import torch
from torch import nn

SEED = 20190601
EPS = 0.1
TRAIN_STEPS = 7
EVAL_STEPS = 20
EPOCHS = 60
BATCH = 64
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load():
    with gzip.open(os.path.join(ROOT, "data", "digits.csv.gz"), "rt") as f:
        rows = [list(map(int, line.split(","))) for line in f if line.strip()]
    data = np.array(rows, dtype=np.float32)
    x, y = data[:, :64] / 16.0, data[:, 64].astype(np.int64)
    test = np.arange(len(rows)) % 5 == 0
    return (torch.tensor(x[~test]), torch.tensor(y[~test]),
            torch.tensor(x[test]), torch.tensor(y[test]))


def mlp():
    return nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU(),
                         nn.Linear(32, 10))


class Cnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(),
            nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.ReLU(),
            nn.Flatten(), nn.Linear(16 * 4 * 4, 10))

    def forward(self, x):
        return self.body(x.reshape(-1, 1, 8, 8))


def pgd(model, x, y, eps, steps):
    """l_inf PGD with a random start, kept inside [0, 1]."""
    alpha = 2.5 * eps / steps
    delta = (torch.rand_like(x) * 2 - 1) * eps
    delta = (x + delta).clamp(0, 1) - x
    for _ in range(steps):
        delta.requires_grad_(True)
        loss = nn.functional.cross_entropy(model(x + delta), y)
        (grad,) = torch.autograd.grad(loss, delta)
        delta = (delta.detach() + alpha * grad.sign()).clamp(-eps, eps)
        delta = (x + delta).clamp(0, 1) - x
    return (x + delta).detach()


def accuracy(model, x, y, eps=None):
    model.eval()
    if eps is not None:
        x = pgd(model, x, y, eps, EVAL_STEPS)
    with torch.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


def train(model, xtr, ytr, adversarial):
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, EPOCHS)
    n = len(xtr)
    for epoch in range(EPOCHS):
        model.train()
        perm = torch.randperm(n)
        # Ramp eps up over the first 10 epochs (stabilises PGD training on small models).
        eps = EPS * min(1.0, (epoch + 1) / 10)
        for i in range(0, n, BATCH):
            idx = perm[i:i + BATCH]
            xb, yb = xtr[idx], ytr[idx]
            if adversarial:
                xb = pgd(model, xb, yb, eps, TRAIN_STEPS)
            loss = nn.functional.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
    return model


def export(model, name, shape):
    model.eval()
    path = os.path.join(ROOT, "models", name)
    torch.onnx.export(model, torch.zeros(shape), path, input_names=["input"],
                      output_names=["logits"], opset_version=13, do_constant_folding=True)
    return path


def main():
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    xtr, ytr, xte, yte = load()
    os.makedirs(os.path.join(ROOT, "models"), exist_ok=True)
    metrics = {
        "scaling": "pixel = grey level / 16, in [0, 1]",
        "split": "test = rows i with i % 5 == 0 (360), train = the other 1437",
        "pgd_train": {"eps": EPS, "steps": TRAIN_STEPS, "step_size": 2.5 * EPS / TRAIN_STEPS},
        "pgd_eval": {"eps": EPS, "steps": EVAL_STEPS, "step_size": 2.5 * EPS / EVAL_STEPS},
        "seed": SEED,
        "torch": torch.__version__,
        "models": {},
    }
    for kind, make, shape in [("mlp", mlp, (1, 64)), ("cnn", Cnn, (1, 1, 8, 8))]:
        for adversarial in [False, True]:
            name = f"digits_{kind}{'_pgd' if adversarial else ''}.onnx"
            random.seed(SEED)
            np.random.seed(SEED)
            torch.manual_seed(SEED)
            model = train(make(), xtr, ytr, adversarial)
            # The CNN is exported without its reshape: the graph input is already [1, 1, 8, 8].
            export(model.body if kind == "cnn" else model, name, shape)
            torch.manual_seed(SEED + 1)
            clean = accuracy(model, xte, yte)
            robust = accuracy(model, xte, yte, EPS)
            m64 = model.double().eval()
            with torch.no_grad():
                correct64 = int((m64(xte.double()).argmax(1) == yte).sum().item())
            entry = {
                "file": f"models/{name}",
                "input_shape": list(shape),
                "adversarial_training": adversarial,
                "test_accuracy_clean": round(clean, 4),
                "test_accuracy_pgd": round(robust, 4),
                "test_correct_float64": correct64,
                "test_images": len(yte),
                "bytes": os.path.getsize(os.path.join(ROOT, "models", name)),
            }
            metrics["models"][name[:-5]] = entry
            print(json.dumps({name: entry}), flush=True)
    with open(os.path.join(ROOT, "models", "digits_metrics.json"), "w") as f:
        json.dump(metrics, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
