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
- --per-image: only the single call, for every image (median of --repeat each; the images
  take turns, one call each per round, so that no call follows a call on the same image, whose
  leftovers such as proven's per-thread cache of gathered weight rows it could reuse); with
  --rounds R the two sides alternate R times and each keeps its fastest median per image, so
  that a slow phase of the machine (this VM's speed drifts by up to 30 % within seconds) during
  one side's run does not decide the ratio.

Threads: --threads N sets torch.set_num_threads(N) for auto_LiRPA and RAYON_NUM_THREADS=N,
MATMUL_NUM_THREADS=N for proven, and OPENBLAS_NUM_THREADS=N, OMP_NUM_THREADS=N for both. BLAS: Debian's OpenBLAS 0.3.21 does not recognise this machine's
CPU and falls back to its SSE3 'Prescott' kernels (about 5 GFLOP/s in float64 instead of about 19
with its AVX-512 'SkylakeX' kernels); by default the auto_LiRPA side runs with
OPENBLAS_CORETYPE=SkylakeX, the strongest baseline (--openblas-core default to turn that off).

Cases: mnistfc 256x2 / 256x4, a 784-1024-1024-1024-10 MLP, the digits MLP and CNN of models/,
and the VNN-COMP 2021 CNNs Convnet_avgpool (verivital) and cifar_base_kw (oval21) with their own
VNN-LIB properties (see build_cases and vnnlib_cnn_cases for images, eps and labels). CNN cases
carry the input shape (C, H, W) ("shape"); images are flat in NCHW order, as proven reads them,
and the torch side reshapes them. A case may carry per-image boxes ("lower"/"upper", the vnnlib
box verbatim) and "radius": false to skip the radius search (none does at present: auto_LiRPA's
search takes under a second on each CNN). Every row also reports the largest difference between
the two tools' forward passes at the first image ("forward diff"), and a warning is printed when
it or the margin difference exceeds 1e-9.

The 784-1024-1024-1024-10 MLP is trained here on ../shared/data/mnist_5k.csv.gz (torch, seed 0,
3 epochs of Adam, float32) and exported to target/models/mnist_1024x3.onnx (not committed; only
when that case is run). The ONNX files are read by a small protobuf reader below and rebuilt as a
float64 torch.nn.Sequential by torch_net (Conv, AveragePool, MaxPool, BatchNormalization,
Flatten, Reshape, Gemm, MatMul, Add, Sub, Mul, Div, Relu, Pad on chain graphs), so the `onnx`
package is not needed.
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


def _tensor(t, path):
    """A TensorProto as a numpy array (float32/float64 widened to float64, int64 kept)."""
    import numpy as np

    t = _group(t)
    name = t[8][0][1].decode() if 8 in t else ""
    dims = _ints(t.get(1, []))
    dtype = t[2][0][1]
    if dtype == 1:  # float32
        if 9 in t:
            arr = np.frombuffer(t[9][0][1], dtype="<f4")
        else:
            arr = np.frombuffer(b"".join(v for _, v in t.get(4, [])), dtype="<f4")
        arr = arr.astype(np.float64)
    elif dtype == 11:  # float64
        if 9 in t:
            arr = np.frombuffer(t[9][0][1], dtype="<f8")
        else:
            arr = np.frombuffer(b"".join(v for _, v in t.get(10, [])), dtype="<f8")
        arr = arr.astype(np.float64)
    elif dtype == 7:  # int64
        if 9 in t:
            arr = np.frombuffer(t[9][0][1], dtype="<i8").astype(np.int64)
        else:
            # int64_data holds two's-complement varints.
            arr = np.array([v - (1 << 64) if v >= 1 << 63 else v
                            for v in _ints(t.get(7, []))], dtype=np.int64)
    else:
        raise ValueError(f"{path}: tensor {name!r} has data type {dtype}, not float or int64")
    return name, arr.reshape(dims)


def _attribute(a, path):
    """(name, value) of an AttributeProto: int, float, string, ints, floats or tensor."""
    import struct

    a = _group(a)
    name = a[1][0][1].decode()
    if 8 in a:
        return name, [v - (1 << 64) if v >= 1 << 63 else v for v in _ints(a[8])]
    if 7 in a:
        floats = []
        for w, v in a[7]:
            floats.extend(struct.unpack(f"<{len(v) // 4}f", v))
        return name, floats
    if 3 in a:
        v = a[3][0][1]
        return name, v - (1 << 64) if v >= 1 << 63 else v
    if 2 in a:
        return name, struct.unpack("<f", a[2][0][1])[0]
    if 4 in a:
        return name, a[4][0][1].decode()
    if 5 in a:
        return name, _tensor(a[5][0][1], path)[1]
    return name, None


def read_onnx(path):
    """Returns (nodes, initializers, input): nodes as (op, inputs, outputs, attrs), initializers
    (and Constant nodes) as float64 / int64 arrays, input as (name, shape) of the first graph input
    that is not an initializer (symbolic dimensions as None)."""
    with open(path, "rb") as fh:
        model = _group(fh.read())
    graph = _group(model[7][0][1])
    inits = {}
    for _, t in graph.get(5, []):
        name, arr = _tensor(t, path)
        inits[name] = arr
    nodes = []
    for _, n in graph.get(1, []):
        n = _group(n)
        op = n[4][0][1].decode()
        ins = [v.decode() for _, v in n.get(1, [])]
        outs = [v.decode() for _, v in n.get(2, [])]
        attrs = dict(_attribute(a, path) for _, a in n.get(5, []))
        if op == "Constant":
            inits[outs[0]] = attrs["value"]
            continue
        nodes.append((op, ins, outs, attrs))
    graph_input = None
    for _, vi in graph.get(11, []):
        vi = _group(vi)
        name = vi[1][0][1].decode()
        if name in inits:
            continue
        shape = []
        tensor_type = _group(_group(vi[2][0][1])[1][0][1])
        for _, d in _group(tensor_type[2][0][1]).get(1, []) if 2 in tensor_type else []:
            d = _group(d)
            shape.append(d[1][0][1] if 1 in d else None)
        graph_input = (name, shape)
        break
    return nodes, inits, graph_input


def torch_net(path):
    """The ONNX network as a float64 torch.nn.Sequential.

    The graph must be a chain (every node reads the previous node's output, plus initializers).
    Ops: Conv (2-D, any strides/pads/dilations, group 1), AveragePool (count_include_pad when
    padded, as auto_LiRPA assumes), MaxPool, BatchNormalization (inference), Flatten (axis 1),
    Reshape to [batch, -1], Gemm, MatMul (+ Add of a constant: folded into the bias), Relu,
    Pad (constant 0), Add/Sub/Mul/Div by a constant (normalisation), Identity, Dropout.
    """
    import numpy as np
    import torch

    class Constant(torch.nn.Module):
        """x op c for a constant c (Add, Sub, Mul, Div)."""

        def __init__(self, op, c):
            super().__init__()
            self.op = op
            self.register_buffer("c", torch.from_numpy(np.array(c, dtype=np.float64)))

        def forward(self, x):
            return {"Add": torch.add, "Sub": torch.sub, "Mul": torch.mul,
                    "Div": torch.div}[self.op](x, self.c)

    def param(t, arr):
        with torch.no_grad():
            t.copy_(torch.from_numpy(np.array(arr, dtype=np.float64)))

    def pads_2d(pads, what):
        """ONNX [top, left, bottom, right] -> (symmetric padding or None, ZeroPad2d tuple)."""
        pads = list(pads) if pads else [0, 0, 0, 0]
        if len(pads) != 4:
            raise ValueError(f"{path}: {what}: pads {pads} are not 2-D")
        top, left, bottom, right = pads
        if top == bottom and left == right:
            return (top, left), None
        return (0, 0), (left, right, top, bottom)

    nodes, inits, graph_input = read_onnx(path)
    layers = []
    pending = None  # a Linear waiting for a following Add
    rank = len(graph_input[1]) if graph_input and graph_input[1] else 2
    current = graph_input[0] if graph_input else None
    for op, ins, outs, attrs in nodes:
        what = f"node {outs[0]!r} ({op})"
        data = [i for i in ins if i and i not in inits]
        if len(data) != 1 or (current is not None and data[0] != current):
            raise ValueError(f"{path}: {what} does not read only the previous node's output: "
                             "the graph is not a chain")
        current = outs[0]
        if op != "Add":
            pending = None
        if op in ("Identity", "Dropout"):
            continue
        if op == "Flatten":
            if attrs.get("axis", 1) != 1:
                raise ValueError(f"{path}: {what}: axis {attrs['axis']} (only 1)")
            layers.append(torch.nn.Flatten())
            rank = 2
        elif op == "Reshape":
            shape = [int(v) for v in inits[ins[1]].reshape(-1)]
            if len(shape) != 2 or shape[0] not in (1, -1, 0):
                raise ValueError(f"{path}: {what}: reshape to {shape} (only [batch, -1])")
            layers.append(torch.nn.Flatten())
            rank = 2
        elif op in ("Gemm", "MatMul"):
            w = inits[ins[1]]
            if op == "MatMul" or not attrs.get("transB", 0):
                w = w.T
            if op == "Gemm":
                if attrs.get("transA", 0):
                    raise ValueError(f"{path}: {what}: transA")
                w = w * attrs.get("alpha", 1.0)
            lin = torch.nn.Linear(w.shape[1], w.shape[0]).double()
            b = inits[ins[2]] * attrs.get("beta", 1.0) if len(ins) > 2 and ins[2] else 0 * w[:, 0]
            param(lin.weight, w)
            param(lin.bias, np.broadcast_to(b, (w.shape[0],)))
            layers.append(lin)
            pending = lin
        elif op == "Add" and pending is not None and ins[1] in inits:
            with torch.no_grad():
                pending.bias.add_(torch.from_numpy(inits[ins[1]].reshape(-1).copy()))
            pending = None
        elif op in ("Add", "Sub", "Mul", "Div"):
            if ins[1] not in inits:
                raise ValueError(f"{path}: {what}: only x {op} constant is handled")
            c = inits[ins[1]]
            if c.ndim > rank:
                c = c.reshape(c.shape[c.ndim - rank:])
            layers.append(Constant(op, c))
        elif op == "Relu":
            layers.append(torch.nn.ReLU())
        elif op == "Conv":
            w = inits[ins[1]]
            if w.ndim != 4 or attrs.get("group", 1) != 1:
                raise ValueError(f"{path}: {what}: only 2-D convolutions with group 1")
            if attrs.get("auto_pad", "NOTSET") != "NOTSET":
                raise ValueError(f"{path}: {what}: auto_pad {attrs['auto_pad']}")
            padding, pad = pads_2d(attrs.get("pads"), what)
            if pad is not None:
                layers.append(torch.nn.ZeroPad2d(pad))
            conv = torch.nn.Conv2d(w.shape[1], w.shape[0], tuple(w.shape[2:]),
                                   stride=tuple(attrs.get("strides", [1, 1])), padding=padding,
                                   dilation=tuple(attrs.get("dilations", [1, 1])),
                                   bias=True).double()
            param(conv.weight, w)
            b = inits[ins[2]] if len(ins) > 2 and ins[2] else np.zeros(w.shape[0])
            param(conv.bias, b)
            layers.append(conv)
        elif op in ("AveragePool", "MaxPool"):
            if attrs.get("ceil_mode", 0) or attrs.get("auto_pad", "NOTSET") != "NOTSET":
                raise ValueError(f"{path}: {what}: ceil_mode / auto_pad")
            kernel = tuple(attrs["kernel_shape"])
            stride = tuple(attrs.get("strides", [1] * len(kernel)))
            padding, pad = pads_2d(attrs.get("pads"), what)
            if pad is not None:
                raise ValueError(f"{path}: {what}: asymmetric pads")
            if op == "AveragePool":
                if any(padding) and not attrs.get("count_include_pad", 0):
                    # auto_LiRPA 0.3 always counts the padding (BoundAveragePool).
                    raise ValueError(f"{path}: {what}: padded without count_include_pad")
                layers.append(torch.nn.AvgPool2d(kernel, stride, padding,
                                                 count_include_pad=True))
            else:
                if any(d != 1 for d in attrs.get("dilations", [1, 1])):
                    raise ValueError(f"{path}: {what}: dilations")
                layers.append(torch.nn.MaxPool2d(kernel, stride, padding))
        elif op == "BatchNormalization":
            scale, bias, mean, var = (inits[i] for i in ins[1:5])
            bn = (torch.nn.BatchNorm2d if rank == 4 else torch.nn.BatchNorm1d)(
                len(scale), eps=attrs.get("epsilon", 1e-5)).double().eval()
            param(bn.weight, scale)
            param(bn.bias, bias)
            param(bn.running_mean, mean)
            param(bn.running_var, var)
            layers.append(bn)
        elif op == "Pad":
            pads = attrs.get("pads")
            if pads is None:
                pads = [int(v) for v in inits[ins[1]].reshape(-1)]
            value = attrs.get("value", 0.0)
            if len(ins) > 2 and ins[2]:
                value = float(inits[ins[2]].reshape(-1)[0])
            if attrs.get("mode", "constant") != "constant" or value != 0.0:
                raise ValueError(f"{path}: {what}: only constant zero padding")
            if not any(pads):
                continue  # an identity (Convnet_avgpool has one)
            if len(pads) != 8 or any(pads[i] for i in (0, 1, 4, 5)):
                raise ValueError(f"{path}: {what}: pads {pads} (only H and W of NCHW)")
            layers.append(torch.nn.ZeroPad2d((pads[3], pads[7], pads[2], pads[6])))
        else:
            raise ValueError(f"{path}: ONNX op {op} is not handled by this script")
    return torch.nn.Sequential(*layers).double().eval()


def input_shape(path):
    """The ONNX input shape without the batch dimension."""
    shape = read_onnx(path)[2][1]
    return [d for d in shape[1:]]


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


def read_vnnlib_box(path):
    """(lower, upper, label) of a classification VNN-LIB property: the input box as float64
    (X_i order = the network's flattened NCHW input) and the class every output comparison
    shares (the comment "label: n" when present, else the Y index common to all comparisons)."""
    import re

    with open(path) as fh:
        text = fh.read()
    lo, hi = {}, {}
    for op, i, v in re.findall(r"\(assert \((<=|>=) X_(\d+) ([-+0-9.eE]+)\)\)", text):
        (hi if op == "<=" else lo)[int(i)] = float(v)
    n = len(lo)
    if n == 0 or sorted(lo) != list(range(n)) or sorted(hi) != list(range(n)):
        raise ValueError(f"{path}: the input constraints are not one box")
    m = re.search(r"label:\s*(\d+)", text)
    if m:
        label = int(m.group(1))
    else:
        pairs = re.findall(r"\((?:<=|>=) Y_(\d+) Y_(\d+)\)", text)
        common = set(pairs[0]).intersection(*[set(p) for p in pairs])
        if len(common) != 1:
            raise ValueError(f"{path}: no single label in the output constraints")
        label = int(common.pop())
    return [lo[i] for i in range(n)], [hi[i] for i in range(n)], label


def cnn_case(name, onnx, eps, clip, images, radius=True):
    """A CNN case: input shape (C, H, W) from the ONNX file, flat images (NCHW order, as proven
    reads them) labelled with the network's own prediction at x unless a label is given."""
    import torch

    shape = input_shape(onnx)
    model = torch_net(onnx)
    xs = torch.tensor([im["x"] for im in images], dtype=torch.float64).reshape(-1, *shape)
    with torch.no_grad():
        pred = model(xs).argmax(1).tolist()
    # A "property_label" (the vnnlib's) is only compared with the prediction, not used.
    known = [(im.get("label", im.get("property_label")), p) for im, p in zip(images, pred)]
    known = [(k, p) for k, p in known if k is not None]
    if known:
        agree = sum(1 for k, p in known if k == p)
        print(f"{name}: prediction at x = the property's label on {agree} / {len(known)} images",
              file=sys.stderr)
    images = [dict({k: v for k, v in im.items() if k != "property_label"},
                   label=int(im.get("label", p))) for im, p in zip(images, pred)]
    return {"name": name, "onnx": onnx, "eps": eps, "clip": clip, "images": images,
            "shape": shape, "radius": radius}


def vnnlib_cnn_cases(count):
    """The VNN-COMP 2021 CNNs of ../shared/models with their own properties.

    - Convnet_avgpool (verivital, MNIST): properties prop_<i>_0.02 for i = 0 .. count-1 (20
      exist), eps = 0.02 (the benchmark's smaller radius, also the one of the reference file
      verivital__Convnet_avgpool.json), box clipped to [0, 1]. The vnnlib boxes are already
      clipped, so the image is recovered per pixel: x = upper - eps where the box was cut at 0,
      lower + eps where cut at 1, the midpoint elsewhere (the box rebuilt from x equals the
      vnnlib box to float32 rounding, ~1e-8). Own predictions.
    - cifar_base_kw (oval21, CIFAR-10): all 10 properties (fewer than count). The boxes are in the
      network's normalised input space (pixel eps / 0.225, cut at the channels' [0, 1] images),
      each with its own eps (1/255 .. 12/255 in pixels), so every image carries its vnnlib box
      verbatim ("lower"/"upper") and x is the box midpoint (as in the reference file
      oval21__cifar_base_kw.json); label = the property's label (the benchmark picked correctly
      classified images). The case's eps, 2/255 / 0.225 (the training radius in normalised
      units), only sets the box of proven's probabilistic step; the radius search is on the
      unclipped ball around the midpoint.
    """
    cases = []
    verivital = os.path.join(SHARED, "models", "verivital")
    avgpool = os.path.join(verivital, "Convnet_avgpool.onnx")
    if os.path.exists(avgpool):
        eps = 0.02
        images = []
        for i in range(count):
            prop = os.path.join(verivital, "specs", "avgpool_specs", f"prop_{i}_{eps}.vnnlib")
            if not os.path.exists(prop):
                break
            lo, hi, label = read_vnnlib_box(prop)
            x = [u - eps if l <= 0.0 < u < 1.0 else l + eps if u >= 1.0 > l else 0.5 * (l + u)
                 for l, u in zip(lo, hi)]
            x = [min(max(v, 0.0), 1.0) for v in x]
            images.append({"x": x, "property_label": label})
        cases.append(cnn_case("Convnet_avgpool", avgpool, eps, [0.0, 1.0], images))
    oval = os.path.join(SHARED, "models", "oval21")
    base = os.path.join(oval, "nets", "cifar_base_kw.onnx")
    if os.path.exists(base):
        with open(os.path.join(oval, "oval21_instances.csv")) as fh:
            props = [line.split(",")[1] for line in fh
                     if line.startswith("nets/cifar_base_kw.onnx,")][:count]
        images = []
        for prop in props:
            lo, hi, label = read_vnnlib_box(os.path.join(oval, prop))
            images.append({"x": [0.5 * (l + u) for l, u in zip(lo, hi)], "label": label,
                           "lower": lo, "upper": hi})
        cases.append(cnn_case("cifar_base_kw", base, 2.0 / 255.0 / 0.225, None, images))
    return cases


def build_cases(count, wanted=()):
    """Every case, or only those named in `wanted` (the 1024x3 MLP is then trained only when
    wanted)."""
    import torch

    mnistfc = os.path.join(SHARED, "models", "mnistfc")
    images = mnist_images(count)
    big = os.path.join(MODELS, "mnist_1024x3.onnx")
    need_big = not wanted or "mlp 1024x3" in wanted
    if need_big and not os.path.exists(big):
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
    if need_big:
        model = torch_net(big)
        with torch.no_grad():
            pred = model(torch.tensor([im["x"] for im in images], dtype=torch.float64)).argmax(1)
        cases[2]["images"] = [{"x": im["x"], "label": int(p)} for im, p in zip(images, pred)]
    else:
        del cases[2]
    # The repository's digits MLP and CNN (models/digits_{mlp,cnn}.onnx), on the first test images
    # (rows i % 5 == 0 of digits.csv.gz, grey level / 16), certified for their own predictions.
    digits = os.path.join(ROOT, "models", "digits_mlp.onnx")
    digits_cnn = os.path.join(ROOT, "models", "digits_cnn.onnx")
    if os.path.exists(digits):
        with gzip.open(os.path.join(SHARED, "data", "digits.csv.gz"), "rt") as fh:
            rows = [line.strip().split(",") for line in fh if line.strip()]
        if not rows[0][0].replace(".", "").isdigit():
            rows = rows[1:]
        test = [r for i, r in enumerate(rows) if i % 5 == 0][:count]
        xs = [[float(v) / 16.0 for v in r[:64]] for r in test]
        model = torch_net(digits)
        with torch.no_grad():
            pred = model(torch.tensor(xs, dtype=torch.float64)).argmax(1)
        cases.append({"name": "digits mlp", "onnx": digits, "eps": 0.02, "clip": [0.0, 1.0],
                      "images": [{"x": x, "label": int(p)} for x, p in zip(xs, pred)],
                      "radius": True})
        if os.path.exists(digits_cnn):
            cases.append(cnn_case("digits cnn", digits_cnn, 0.02, [0.0, 1.0],
                                  [{"x": x} for x in xs]))
    cases.extend(vnnlib_cnn_cases(count))
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


def auto_lirpa_worker(case, repeat, threads, per_image=False):
    import torch
    from auto_LiRPA import BoundedModule, BoundedTensor
    from auto_LiRPA.perturbations import PerturbationLpNorm

    torch.set_num_threads(threads)
    model = torch_net(case["onnx"])
    xs = torch.tensor([im["x"] for im in case["images"]], dtype=torch.float64)
    if case.get("shape"):
        xs = xs.reshape(-1, *case["shape"])
    labels = [im["label"] for im in case["images"]]
    # Per-image boxes (vnnlib properties taken verbatim), else [x - eps, x + eps] clipped.
    boxes = None
    if all("lower" in im and "upper" in im for im in case["images"]):
        boxes = tuple(torch.tensor([im[k] for im in case["images"]],
                                   dtype=torch.float64).reshape(xs.shape)
                      for k in ("lower", "upper"))
    with torch.no_grad():
        logits = model(xs[:1])
    classes = logits.shape[1]
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

    def call(x, ls, eps, clip=True, rows=None):
        if clip and boxes is not None:
            xl, xu = boxes[0][rows], boxes[1][rows]
        elif clip:
            xl = torch.clamp(x - eps, min=lo_clip)
            xu = torch.clamp(x + eps, max=hi_clip)
        else:
            xl, xu = x - eps, x + eps
        ptb = PerturbationLpNorm(norm=math.inf, x_L=xl, x_U=xu)
        lb, _ = bounded.compute_bounds(x=(BoundedTensor(x, ptb),), method="CROWN", C=spec(ls))
        return lb

    eps = case["eps"]
    if per_image:
        # The images take turns, one call each per round (as timing_cases does).
        singles = [slice(i, i + 1) for i in range(len(labels))]
        for rows in singles:
            call(xs[rows], labels[rows], eps, rows=rows)
        runs = [[] for _ in singles]
        for _ in range(repeat):
            for rows, times in zip(singles, runs):
                t = time.perf_counter()
                call(xs[rows], labels[rows], eps, rows=rows)
                times.append(time.perf_counter() - t)
        return {"name": case["name"], "per_image": [median(r) for r in runs]}
    first = call(xs[:1], labels[:1], eps, rows=slice(0, 1))
    single, cpu = [], []
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        call(xs[:1], labels[:1], eps, rows=slice(0, 1))
        single.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    batch = []
    for _ in range(repeat):
        t = time.perf_counter()
        call(xs, labels, eps, rows=slice(None))
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
        "logits": logits[0].tolist(),
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


def keep_fastest(best, times):
    """Per image, the smaller of the best time so far and this round's time."""
    return list(times) if best is None else [min(a, b) for a, b in zip(best, times)]


def per_image_table(cases, cases_file, binary, env, theirs_env, args):
    """--per-image: one median single-call time per image on each side, and the ratios."""
    rows = []
    for case in cases:
        # --rounds alternates the two sides; each side keeps, per image, its fastest round's
        # median, so that a slow phase of the machine during one side's run does not decide
        # the ratio.
        ours, theirs = None, None
        for _ in range(args.rounds):
            run = subprocess.run([binary, cases_file, "--case", case["name"], "--repeat",
                                  str(args.repeat), "--method", args.method, "--per-image"],
                                 env=env, check=True, capture_output=True, text=True)
            ours = keep_fastest(ours, last_json(run.stdout)["per_image"])
            run = subprocess.run([sys.executable, os.path.abspath(__file__), "--worker",
                                  case["name"], "--cases-file", cases_file, "--repeat",
                                  str(args.repeat), "--threads", str(args.threads),
                                  "--per-image"],
                                 env=theirs_env, check=True, capture_output=True, text=True)
            theirs = keep_fastest(theirs, last_json(run.stdout)["per_image"])
        ratios = [b / a for a, b in zip(ours, theirs)]
        row = {"case": case["name"], "proven": ours, "auto_lirpa": theirs, "ratios": ratios,
               "load": os.getloadavg()}
        rows.append(row)
        print(json.dumps(row), flush=True)
    print()
    print(f"threads={args.threads}, rounds={args.rounds}, load {os.getloadavg()}; per-image "
          "single CROWN call, ratio = auto_LiRPA time / proven time")
    print("| case | images | proven median | auto_LiRPA median | ratio: median | min | max |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['case']} | {len(r['ratios'])} | {median(r['proven']) * 1e3:.2f} ms | "
              f"{median(r['auto_lirpa']) * 1e3:.2f} ms | {median(r['ratios']):.1f}x | "
              f"{min(r['ratios']):.1f}x | {max(r['ratios']):.1f}x |")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)


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
    ap.add_argument("--per-image", action="store_true",
                    help="only time one CROWN call per image (median of --repeat each) on both "
                         "sides and print the per-image ratios with their median and minimum")
    ap.add_argument("--rounds", type=int, default=1,
                    help="with --per-image: alternate the two sides this many times and keep "
                         "each side's fastest median per image")
    ap.add_argument("--json", help="also write the results to this file")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--cases-file", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.worker:
        with open(args.cases_file) as fh:
            case = next(c for c in json.load(fh) if c["name"] == args.worker)
        print(json.dumps(auto_lirpa_worker(case, args.repeat, args.threads, args.per_image)))
        return

    os.makedirs(WORK, exist_ok=True)
    wanted = [c.strip() for c in args.cases.split(",") if c.strip()]
    cases = build_cases(args.images, wanted)
    if wanted:
        unknown = set(wanted) - {c["name"] for c in cases}
        if unknown:
            sys.exit(f"unknown case(s) {sorted(unknown)}; cases: {[c['name'] for c in cases]}")
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
    if args.per_image:
        per_image_table(cases, cases_file, binary, env, theirs_env, args)
        return
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
        # Same network on both sides: proven's forward pass at the first image against torch's.
        forward = max(abs(a - b) for a, b in zip(ours["logits"], theirs["logits"]))
        for what, d in (("forward (logits)", forward), ("margin lower bound", diff)):
            if not d <= 1e-9:
                print(f"WARNING {case['name']}: {what} difference {d:.3e} > 1e-9 between the "
                      "tools", file=sys.stderr, flush=True)
        has_radius = ours["radius"] is not None and theirs["radius"] is not None
        nan = float("nan")
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
            "radius_proven": ours["radius"]["seconds"] if has_radius else nan,
            "radius_calls_proven": ours["radius"]["calls"] if has_radius else 0,
            "radius_auto_lirpa": theirs["radius"]["seconds"] if has_radius else nan,
            "radius_calls_auto_lirpa": theirs["radius"]["calls"] if has_radius else 0,
            "radius_ratio": (theirs["radius"]["seconds"] / ours["radius"]["seconds"]
                             if has_radius else nan),
            "radius_proven_eps": ours["radius"]["certified"] if has_radius else nan,
            "radius_auto_lirpa_eps": theirs["radius"]["certified"] if has_radius else nan,
            "max_forward_difference": forward,
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
          "radius auto_LiRPA (calls) | ratio | forward diff | margin diff | "
          "VmHWM proven / auto_LiRPA |")
    print("|---" * 15 + "|")
    for r in results:
        print(f"| {r['case']} | {r['unstable_fraction']:.2f} | {r['single_proven'] * 1e3:.2f} ms | "
              f"{r['single_auto_lirpa'] * 1e3:.2f} ms | {r['single_ratio']:.1f}x | " +
              (f"{r['single_cpu_ratio']:.1f}x | " if not math.isnan(r["single_cpu_ratio"])
               else "n/a¹ | ") +
              f"{r['batch_proven'] * 1e3:.1f} ms | {r['batch_auto_lirpa'] * 1e3:.1f} ms | "
              f"{r['batch_ratio']:.1f}x | " + (
                  f"{r['radius_proven']:.3f} s ({r['radius_calls_proven']}) | "
                  f"{r['radius_auto_lirpa']:.3f} s ({r['radius_calls_auto_lirpa']}) | "
                  f"{r['radius_ratio']:.1f}x | " if r["radius_calls_proven"] else "— | — | — | ") +
              f"{r['max_forward_difference']:.1e} | {r['max_margin_difference']:.1e} | "
              f"{r['vm_hwm_mib_proven']:.0f} / {r['vm_hwm_mib_auto_lirpa']:.0f} MiB |")
    if any(math.isnan(r["single_cpu_ratio"]) for r in results):
        print("¹ proven's call is shorter than the granularity of the thread's CPU clock "
              "(/proc/thread-self/schedstat): no CPU time was recorded")
    for key in ("single_ratio", "single_cpu_ratio", "batch_ratio", "radius_ratio"):
        values = [r[key] for r in results if not math.isnan(r[key])]
        if values:
            print(f"median {key}: {median(values):.2f}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=1)


if __name__ == "__main__":
    main()
