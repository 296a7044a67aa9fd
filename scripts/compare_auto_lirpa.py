#!/usr/bin/env python3
"""Side-by-side timing of CROWN margin bounds: proven vs auto_LiRPA, same networks, same inputs.

Setup (once; see docs/performance.md):

    apt-get install -y python3-torch libopenblas0-pthread
    pip install --no-deps --target /work/pylib auto_LiRPA==0.3 appdirs packaging pyyaml tqdm

Run from the repository root, with ../shared beside it:

    PYTHONPATH=/work/pylib /usr/bin/python3 scripts/compare_auto_lirpa.py --threads 1
    PYTHONPATH=/work/pylib /usr/bin/python3 scripts/compare_auto_lirpa.py --threads 2

For every case it runs, one process per tool and case (so that VmHWM is that case's peak memory),
the proven side (`examples/timing_cases.rs`) and the auto_LiRPA side (this script with
`--worker`), one right after the other, and prints per case the median times, the ratio
auto_LiRPA / proven (> 1 means proven is faster) and the largest difference between the margin
lower bounds of the two tools (they run the same rules: `Method::crown().auto_lirpa_compatible()`
against auto_LiRPA's default CROWN, float64 on both sides).

What is timed, per case (first image, or all images for the batch):
- single: one CROWN call with the margin specification C (rows e_label - e_j) on the box
  [x0 - eps, x0 + eps] clipped to [0, 1]: wall time, and CPU time (proven: of the calling
  thread; auto_LiRPA: of the process, BLAS threads included), which with --threads 1 does not
  grow when other processes share the cores; median of --repeat runs after one warm-up call.
- batch: the same for all images; proven runs them through rayon (compute_bounds_batch),
  auto_LiRPA as one call with batch dimension = number of images.
- radius: a worst-case radius search on the unclipped l_inf ball of the first image with proven's
  default schedule (start 0.01, x2 / /2 until bracketed, 20 log-space bisections); auto_LiRPA runs
  the same schedule as a loop of CROWN calls.

Threads: --threads N sets torch.set_num_threads(N) for auto_LiRPA and RAYON_NUM_THREADS=N,
MATMUL_NUM_THREADS=N for proven, and OPENBLAS_NUM_THREADS=N, OMP_NUM_THREADS=N for both. BLAS: Debian's OpenBLAS 0.3.21 does not recognise this machine's
CPU and falls back to its SSE3 'Prescott' kernels (about 5 GFLOP/s in float64 instead of about 19
with its AVX-512 'SkylakeX' kernels); by default the auto_LiRPA side runs with
OPENBLAS_CORETYPE=SkylakeX, the strongest baseline (--openblas-core default to turn that off).

The 784-1024-1024-1024-10 MLP is trained here on ../shared/data/mnist_5k.csv.gz (torch, seed 0,
3 epochs of Adam, float32) and exported to target/models/mnist_1024x3.onnx (not committed). The
ONNX files are read by a small protobuf reader below (Flatten, Gemm, MatMul, Add, Relu), so the
`onnx` package is not needed.
"""

import argparse
import gzip
import json
import math
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(ROOT), "shared")
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
MODELS = os.path.join(ROOT, "target", "models")
WORK = os.path.join(ROOT, "target", "compare")


# --------------------------------------------------------------------------------------------
# A minimal ONNX (protobuf) reader: enough for the MLPs of the cases.
# --------------------------------------------------------------------------------------------

def _varint(b, i):
    r = s = 0
    while True:
        c = b[i]
        i += 1
        r |= (c & 0x7F) << s
        s += 7
        if c < 0x80:
            return r, i


def _fields(b):
    """Yields (field number, wire type, value) of one protobuf message."""
    i, n = 0, len(b)
    while i < n:
        key, i = _varint(b, i)
        f, w = key >> 3, key & 7
        if w == 0:
            v, i = _varint(b, i)
        elif w == 1:
            v, i = b[i:i + 8], i + 8
        elif w == 2:
            ln, i = _varint(b, i)
            v, i = b[i:i + ln], i + ln
        elif w == 5:
            v, i = b[i:i + 4], i + 4
        else:
            raise ValueError(f"protobuf wire type {w} not supported")
        yield f, w, v


def _ints(values):
    out = []
    for w, v in values:
        if w == 0:
            out.append(v)
        else:  # packed
            i = 0
            while i < len(v):
                x, i = _varint(v, i)
                out.append(x)
    return out


def _group(msg):
    d = {}
    for f, w, v in _fields(msg):
        d.setdefault(f, []).append((w, v))
    return d


def read_onnx(path):
    """Returns (nodes, initializers): nodes as (op, inputs, outputs, attrs)."""
    import numpy as np

    with open(path, "rb") as fh:
        model = _group(fh.read())
    graph = _group(model[7][0][1])
    inits = {}
    for _, t in graph.get(5, []):
        t = _group(t)
        name = t[8][0][1].decode()
        dims = _ints(t.get(1, []))
        dtype = t[2][0][1]
        if dtype != 1:
            raise ValueError(f"{path}: initializer {name} has data type {dtype}, not float")
        if 9 in t:
            arr = np.frombuffer(t[9][0][1], dtype="<f4")
        else:
            raw = b"".join(v if w == 2 else v for w, v in t.get(4, []))
            arr = np.frombuffer(raw, dtype="<f4")
        inits[name] = arr.reshape(dims).astype(np.float64)
    nodes = []
    for _, n in graph.get(1, []):
        n = _group(n)
        attrs = {}
        for _, a in n.get(5, []):
            a = _group(a)
            an = a[1][0][1].decode()
            if 3 in a:
                attrs[an] = a[3][0][1]
            elif 2 in a:
                attrs[an] = __import__("struct").unpack("<f", a[2][0][1])[0]
        nodes.append((
            n[4][0][1].decode(),
            [v.decode() for _, v in n.get(1, [])],
            [v.decode() for _, v in n.get(2, [])],
            attrs,
        ))
    return nodes, inits


def torch_mlp(path):
    """The ONNX MLP as a float64 torch.nn.Sequential (Flatten, Linear, ReLU)."""
    import torch

    nodes, inits = read_onnx(path)
    layers = []
    pending = None  # a Linear waiting for a following Add
    for op, ins, _, attrs in nodes:
        if op == "Flatten":
            layers.append(torch.nn.Flatten())
        elif op in ("Gemm", "MatMul"):
            w = inits[ins[1]]
            if op == "MatMul" or not attrs.get("transB", 0):
                w = w.T
            if op == "Gemm":
                w = w * attrs.get("alpha", 1.0)
            lin = torch.nn.Linear(w.shape[1], w.shape[0]).double()
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(w.copy()))
                b = inits[ins[2]] * attrs.get("beta", 1.0) if len(ins) > 2 else 0 * w[:, 0]
                lin.bias.copy_(torch.from_numpy(b.copy()))
            layers.append(lin)
            pending = lin
        elif op == "Add" and pending is not None and ins[1] in inits:
            with torch.no_grad():
                pending.bias.add_(torch.from_numpy(inits[ins[1]].copy()))
        elif op == "Relu":
            layers.append(torch.nn.ReLU())
            pending = None
        else:
            raise ValueError(f"{path}: ONNX op {op} is not handled by this script")
    return torch.nn.Sequential(*layers).double().eval()


# --------------------------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------------------------

def mnist_images(count):
    with open(os.path.join(SHARED, "models", "mnistfc", "images.json")) as fh:
        images = json.load(fh)["images"][:count]
    return [{"x": im["x"], "label": im["label"]} for im in images]


def train_1024x3(path):
    """Trains the 784-1024-1024-1024-10 MLP (seed 0) and exports it to ONNX."""
    import numpy as np
    import torch

    torch.manual_seed(0)
    with gzip.open(os.path.join(SHARED, "data", "mnist_5k.csv.gz"), "rt") as fh:
        rows = [line.strip().split(",") for line in fh if line.strip()]
    if not rows[0][0].isdigit():
        rows = rows[1:]
    # 784 grey levels 0..255, then the label.
    data = np.array(rows, dtype=np.float32)
    y = torch.from_numpy(data[:, 784].astype(np.int64))
    x = torch.from_numpy(data[:, :784] / 255.0)
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 1024), torch.nn.ReLU(),
        torch.nn.Linear(1024, 1024), torch.nn.ReLU(),
        torch.nn.Linear(1024, 1024), torch.nn.ReLU(),
        torch.nn.Linear(1024, 10),
    )
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(3):
        perm = torch.randperm(len(y))
        for i in range(0, len(y), 100):
            idx = perm[i:i + 100]
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
    acc = (model(x).argmax(1) == y).float().mean().item()
    print(f"trained 784-1024x3-10 MLP: training accuracy {acc:.3f}", file=sys.stderr)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    torch.onnx.export(model, torch.zeros(1, 784), path, input_names=["x"], output_names=["y"])


def build_cases(count):
    mnistfc = os.path.join(SHARED, "models", "mnistfc")
    images = mnist_images(count)
    big = os.path.join(MODELS, "mnist_1024x3.onnx")
    if not os.path.exists(big):
        train_1024x3(big)
    cases = [
        {"name": "mnistfc 256x2", "onnx": os.path.join(mnistfc, "mnist-net_256x2.onnx"), "eps": 0.03},
        {"name": "mnistfc 256x4", "onnx": os.path.join(mnistfc, "mnist-net_256x4.onnx"), "eps": 0.03},
        {"name": "mlp 1024x3", "onnx": big, "eps": 0.01},
    ]
    for c in cases:
        c.update({"clip": [0.0, 1.0], "images": images, "radius": True})
    # The trained MLP is certified for its own predictions (the images' labels are those of the
    # mnistfc networks).
    import torch
    model = torch_mlp(big)
    with torch.no_grad():
        pred = model(torch.tensor([im["x"] for im in images], dtype=torch.float64)).argmax(1)
    cases[2]["images"] = [{"x": im["x"], "label": int(p)} for im, p in zip(images, pred)]
    # The repository's digits MLP (models/digits_mlp.onnx, 64-64-32-10), on the first test images
    # (rows i % 5 == 0 of digits.csv.gz, grey level / 16), certified for its own predictions.
    digits = os.path.join(ROOT, "models", "digits_mlp.onnx")
    if os.path.exists(digits):
        with gzip.open(os.path.join(SHARED, "data", "digits.csv.gz"), "rt") as fh:
            rows = [line.strip().split(",") for line in fh if line.strip()]
        if not rows[0][0].replace(".", "").isdigit():
            rows = rows[1:]
        test = [r for i, r in enumerate(rows) if i % 5 == 0][:count]
        xs = [[float(v) / 16.0 for v in r[:64]] for r in test]
        model = torch_mlp(digits)
        with torch.no_grad():
            pred = model(torch.tensor(xs, dtype=torch.float64)).argmax(1)
        cases.append({"name": "digits mlp", "onnx": digits, "eps": 0.02, "clip": [0.0, 1.0],
                      "images": [{"x": x, "label": int(p)} for x, p in zip(xs, pred)],
                      "radius": True})
    return cases


# --------------------------------------------------------------------------------------------
# The auto_LiRPA side (one case per process)
# --------------------------------------------------------------------------------------------

def vm_hwm_kib():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return None


def search_schedule(test, start=0.01, steps=20, factor=2.0):
    """proven's default radius schedule (src/certify/search.rs): returns (radius, calls)."""
    calls = 0

    def ev(r):
        nonlocal calls
        calls += 1
        return test(r)

    lo, hi, r = 0.0, math.inf, start
    first = ev(r)
    if first:
        lo = r
    else:
        hi = r
    for _ in range(60):
        if first:
            r *= factor
            if r > 1e12:
                break
            if ev(r):
                lo = r
            else:
                hi = r
                break
        else:
            r /= factor
            if r < 1e-12:
                break
            if ev(r):
                lo = r
                break
            hi = r
    if lo == 0.0 or math.isinf(hi):
        return lo, calls
    for _ in range(steps):
        mid = math.sqrt(lo * hi)
        if ev(mid):
            lo = mid
        else:
            hi = mid
    return lo, calls


def auto_lirpa_worker(case, repeat, threads):
    import torch
    from auto_LiRPA import BoundedModule, BoundedTensor
    from auto_LiRPA.perturbations import PerturbationLpNorm

    torch.set_num_threads(threads)
    model = torch_mlp(case["onnx"])
    xs = torch.tensor([im["x"] for im in case["images"]], dtype=torch.float64)
    labels = [im["label"] for im in case["images"]]
    classes = model(xs[:1]).shape[1]
    bounded = BoundedModule(model, torch.zeros_like(xs[:1]), device="cpu")

    def spec(ls):
        c = torch.zeros(len(ls), classes - 1, classes, dtype=torch.float64)
        for b, lab in enumerate(ls):
            others = [j for j in range(classes) if j != lab]
            for r, j in enumerate(others):
                c[b, r, lab] = 1.0
                c[b, r, j] = -1.0
        return c

    lo_clip, hi_clip = case["clip"] if case["clip"] else (-math.inf, math.inf)

    def call(x, ls, eps, clip=True):
        if clip:
            xl = torch.clamp(x - eps, min=lo_clip)
            xu = torch.clamp(x + eps, max=hi_clip)
        else:
            xl, xu = x - eps, x + eps
        ptb = PerturbationLpNorm(norm=math.inf, x_L=xl, x_U=xu)
        lb, _ = bounded.compute_bounds(x=(BoundedTensor(x, ptb),), method="CROWN", C=spec(ls))
        return lb

    eps = case["eps"]
    first = call(xs[:1], labels[:1], eps)
    single, cpu = [], []
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        call(xs[:1], labels[:1], eps)
        single.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    batch = []
    for _ in range(repeat):
        t = time.perf_counter()
        call(xs, labels, eps)
        batch.append(time.perf_counter() - t)
    radius = None
    if case.get("radius"):
        t = time.perf_counter()
        r, calls = search_schedule(
            lambda e: bool((call(xs[:1], labels[:1], e, clip=False) > 0).all()))
        radius = {"seconds": time.perf_counter() - t, "calls": calls, "certified": r}
    return {
        "name": case["name"],
        "single": {"median": median(single), "all": single, "cpu": median(cpu)},
        "batch": median(batch),
        "radius": radius,
        "margins": first[0].tolist(),
        "torch_threads": torch.get_num_threads(),
        "vm_hwm_kib": vm_hwm_kib(),
    }


def median(v):
    v = sorted(v)
    n = len(v)
    return v[n // 2] if n % 2 else 0.5 * (v[n // 2 - 1] + v[n // 2])


# --------------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------------

def last_json(text):
    for line in reversed(text.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError("no JSON line in:\n" + text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--images", type=int, default=15)
    ap.add_argument("--cases", default="", help="comma-separated case names (default: all)")
    ap.add_argument("--method", default="auto-lirpa", help="proven rules: auto-lirpa or tight")
    ap.add_argument("--openblas-core", default="SkylakeX",
                    help="OPENBLAS_CORETYPE for auto_LiRPA's torch (OpenBLAS 0.3.21 takes this "
                         "machine's CPU for 'Prescott' and runs SSE3 kernels, 4x slower; "
                         "'default' leaves its own detection)")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--json", help="also write the results to this file")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--cases-file", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.worker:
        with open(args.cases_file) as fh:
            case = next(c for c in json.load(fh) if c["name"] == args.worker)
        print(json.dumps(auto_lirpa_worker(case, args.repeat, args.threads)))
        return

    os.makedirs(WORK, exist_ok=True)
    cases = build_cases(args.images)
    wanted = [c.strip() for c in args.cases.split(",") if c.strip()]
    if wanted:
        cases = [c for c in cases if c["name"] in wanted]
    cases_file = os.path.join(WORK, "cases.json")
    with open(cases_file, "w") as fh:
        json.dump(cases, fh)
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "--example", "timing_cases"],
                       cwd=ROOT, check=True)
    binary = os.path.join(TARGET, "release", "examples", "timing_cases")
    n = str(args.threads)
    env = dict(os.environ, RAYON_NUM_THREADS=n, MATMUL_NUM_THREADS=n, OPENBLAS_NUM_THREADS=n,
               OMP_NUM_THREADS=n)
    theirs_env = dict(env)
    if args.openblas_core != "default":
        theirs_env["OPENBLAS_CORETYPE"] = args.openblas_core
    print(f"# threads={args.threads} repeat={args.repeat} OPENBLAS_CORETYPE={args.openblas_core} "
          f"load: {os.getloadavg()}", flush=True)
    results = []
    for case in cases:
        ours = subprocess.run([binary, cases_file, "--case", case["name"], "--repeat",
                               str(args.repeat), "--method", args.method],
                              env=env, check=True, capture_output=True, text=True)
        ours = last_json(ours.stdout)
        theirs = subprocess.run([sys.executable, os.path.abspath(__file__), "--worker",
                                 case["name"], "--cases-file", cases_file, "--repeat",
                                 str(args.repeat), "--threads", str(args.threads)],
                                env=theirs_env, check=True, capture_output=True, text=True)
        theirs = last_json(theirs.stdout)
        diff = max(abs(a - b) for a, b in zip(ours["margins"], theirs["margins"]))
        row = {
            "case": case["name"],
            "unstable_fraction": ours["unstable_fraction"],
            "gemm_flops": ours["gemm_flops"],
            "single_proven": ours["single"]["median"],
            "single_auto_lirpa": theirs["single"]["median"],
            "single_ratio": theirs["single"]["median"] / ours["single"]["median"],
            "single_cpu_proven": ours["single"]["cpu"],
            "single_cpu_auto_lirpa": theirs["single"]["cpu"],
            # proven's thread CPU clock advances at scheduler ticks (~4 ms): below that it reads 0.
            "single_cpu_ratio": (theirs["single"]["cpu"] / ours["single"]["cpu"]
                                 if ours["single"]["cpu"] > 0 else float("nan")),
            "batch_proven": ours["batch_parallel"],
            "batch_proven_sequential": ours["batch_sequential"],
            "batch_auto_lirpa": theirs["batch"],
            "batch_ratio": theirs["batch"] / ours["batch_parallel"],
            "radius_proven": ours["radius"]["seconds"],
            "radius_calls_proven": ours["radius"]["calls"],
            "radius_auto_lirpa": theirs["radius"]["seconds"],
            "radius_calls_auto_lirpa": theirs["radius"]["calls"],
            "radius_ratio": theirs["radius"]["seconds"] / ours["radius"]["seconds"],
            "radius_proven_eps": ours["radius"]["certified"],
            "radius_auto_lirpa_eps": theirs["radius"]["certified"],
            "max_margin_difference": diff,
            "vm_hwm_mib_proven": (ours["vm_hwm_kib"] or 0) / 1024,
            "vm_hwm_mib_auto_lirpa": (theirs["vm_hwm_kib"] or 0) / 1024,
            "probabilistic_step_overhead": ours["probabilistic_step"]["overhead"],
            "load": os.getloadavg(),
        }
        results.append(row)
        print(json.dumps(row), flush=True)
    print()
    print(f"threads={args.threads}, OPENBLAS_CORETYPE={args.openblas_core}, load "
          f"{os.getloadavg()}; ratio = auto_LiRPA time / proven time")
    print("| case | unstable | single proven | single auto_LiRPA | ratio | CPU-time ratio | "
          "batch proven | batch auto_LiRPA | ratio | radius proven (calls) | "
          "radius auto_LiRPA (calls) | ratio | margin diff | VmHWM proven / auto_LiRPA |")
    print("|---" * 14 + "|")
    for r in results:
        print(f"| {r['case']} | {r['unstable_fraction']:.2f} | {r['single_proven'] * 1e3:.2f} ms | "
              f"{r['single_auto_lirpa'] * 1e3:.2f} ms | {r['single_ratio']:.1f}x | "
              f"{r['single_cpu_ratio']:.1f}x | "
              f"{r['batch_proven'] * 1e3:.1f} ms | {r['batch_auto_lirpa'] * 1e3:.1f} ms | "
              f"{r['batch_ratio']:.1f}x | {r['radius_proven']:.3f} s ({r['radius_calls_proven']}) | "
              f"{r['radius_auto_lirpa']:.3f} s ({r['radius_calls_auto_lirpa']}) | "
              f"{r['radius_ratio']:.1f}x | {r['max_margin_difference']:.1e} | "
              f"{r['vm_hwm_mib_proven']:.0f} / {r['vm_hwm_mib_auto_lirpa']:.0f} MiB |")
    for key in ("single_ratio", "single_cpu_ratio", "batch_ratio", "radius_ratio"):
        print(f"median {key}: {median([r[key] for r in results]):.2f}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=1)


if __name__ == "__main__":
    main()
