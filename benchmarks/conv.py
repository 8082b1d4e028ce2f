"""How fast is cnnlib's convolution on this machine? Ratios, not pass/fail.

Run: ``.venv/bin/python benchmarks/conv.py`` (about 30 s; ``--quick`` for a smoke run).

Prints
  * the BLAS thread count and the numpy float32 matrix-multiply throughput, the ceiling,
    measured two ways: the very products that the five lowerings perform
    (``(O, C*k*k) @ (C*k*k, N*H_out*W_out)``, "same-shape"), and a square 2048 product;
  * for each of torchvision AlexNet's five convolutions, at batch 1 and 8: cnnlib ``conv2d``
    forward, backward (``conv2d_backward`` from the forward's cache: dx, dweight and dbias)
    and both together in
    GFLOP/s, and the ratio of forward+backward to each ceiling;
  * peak extra memory of the lowering: tracemalloc peak of one call minus what it returns,
    and the columns the forward's cache keeps for the backward pass;
  * the speed-up of ``conv2d`` over ``conv2d_naive`` on a small layer;
  * when ``import torch`` works: cnnlib time / ``torch.nn.functional.conv2d`` time, with
    torch using as many threads as numpy's BLAS.

Every time is the minimum over repeated runs, and all calls (ceilings, cnnlib, torch, both
batch sizes) are measured in alternating rounds, so that a busy machine disturbs them alike.
FLOPs count a multiply-add as 2: forward ``2 * MACs``, backward ``4 * MACs`` (dx, dweight).
"""

from __future__ import annotations

import argparse
import os
import time
import tracemalloc

import numpy as np

# _check_conv and _image_chunks: to time the very matrix products that conv2d performs.
from cnnlib.conv import (
    COLUMN_BUDGET,
    _check_conv,
    _image_chunks,
    conv2d,
    conv2d_backward,
    conv2d_forward,
    conv2d_naive,
)
from cnnlib.shapes import conv_macs, conv_output_shape

# torchvision AlexNet: (name, in_channels, out_channels, kernel, stride, padding, input size)
ALEXNET = [
    ("conv1", 3, 64, 11, 4, 2, 224),
    ("conv2", 64, 192, 5, 1, 2, 27),
    ("conv3", 192, 384, 3, 1, 1, 13),
    ("conv4", 384, 256, 3, 1, 1, 13),
    ("conv5", 256, 256, 3, 1, 1, 13),
]
BATCHES = (1, 8)
SQUARE = 2048
SETTLE = 0.005  # seconds of sleep before each timed call


def blas_threads() -> int:
    """Threads numpy's BLAS uses: threadpoolctl when installed, else the usual variables."""
    try:
        from threadpoolctl import threadpool_info
        counts = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
        if counts:
            return max(counts)
    except ImportError:
        pass
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if os.environ.get(name, "").isdigit():
            return int(os.environ[name])
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def load_torch(threads: int):
    """torch set to ``threads`` threads, or None when it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    return torch


class Layer:
    """One convolution at one batch size: its arrays, the calls to time and their best times."""

    def __init__(self, name, c_in, c_out, k, s, p, size, batch, rng, torch=None):
        self.name, self.batch = name, batch
        x = rng.standard_normal((batch, c_in, size, size), dtype=np.float32)
        w = rng.standard_normal((c_out, c_in, k, k), dtype=np.float32) * 0.05
        b = rng.standard_normal(c_out, dtype=np.float32)
        out_shape = conv_output_shape((size, size), k, s, p)
        dout = rng.standard_normal((batch, c_out) + out_shape, dtype=np.float32)
        self.macs = batch * conv_macs(c_in, c_out, k, out_shape)
        # The same-shape ceiling: the forward's matrix products alone, one per chunk of images
        # that conv2d lowers at once (see cnnlib.conv.COLUMN_BUDGET).
        spec = _check_conv(x, w, b, s, p, 1, 1)
        chunks = [len(range(batch)[images]) for images in _image_chunks(x, spec)]
        a = rng.standard_normal((c_out, c_in * k * k), dtype=np.float32)
        cols = [rng.standard_normal((c_in * k * k, n * out_shape[0] * out_shape[1]),
                                    dtype=np.float32) for n in chunks]
        self.calls = {
            "gemm": lambda: [a @ c for c in cols],
            "fwd": lambda: conv2d(x, w, b, s, p),
            # backward from the forward's cache, as a layer runs it (the cache is built once)
            "bwd": lambda: conv2d_backward(dout, self.cache),
        }
        self.cache = conv2d_forward(x, w, b, s, p)[1]
        if torch is not None:
            tx, tw, tb = (torch.from_numpy(v).requires_grad_() for v in (x, w, b))
            tdout = torch.from_numpy(dout)

            def torch_fwd():
                with torch.no_grad():
                    return torch.nn.functional.conv2d(tx, tw, tb, s, p)

            def torch_fwd_bwd():  # autograd needs the forward's graph: time both together
                out = torch.nn.functional.conv2d(tx, tw, tb, s, p)
                return torch.autograd.grad(out, (tx, tw, tb), tdout)

            self.calls.update(torch_fwd=torch_fwd, torch_fwd_bwd=torch_fwd_bwd)
        self.times = {key: [] for key in self.calls}

    @property
    def best(self) -> dict:
        return {key: min(times, default=np.inf) for key, times in self.times.items()}

    def time_round(self) -> None:
        for key, call in self.calls.items():
            time.sleep(SETTLE)   # let the other library's BLAS threads stop spinning first
            start = time.perf_counter()
            call()
            self.times[key].append(time.perf_counter() - start)

    def gflops(self, key: str, flops_per_mac: int) -> float:
        return flops_per_mac * self.macs / self.best[key] / 1e9


class Square(Layer):
    """A square float32 matrix product: the reference ceiling."""

    def __init__(self, size: int, rng):
        a = rng.standard_normal((size, size), dtype=np.float32)
        self.name, self.batch, self.macs = "square", 0, size**3
        self.calls = {"gemm": lambda: a @ a}
        self.times = {"gemm": []}


class Small(Layer):
    """The small layer on which conv2d is compared with conv2d_naive."""

    label = "1x8x32x32 input, 16 filters 3x3, padding 1"

    def __init__(self, rng):
        x = rng.standard_normal((1, 8, 32, 32), dtype=np.float32)
        w = rng.standard_normal((16, 8, 3, 3), dtype=np.float32)
        self.name, self.batch, self.macs = "small", 1, 0
        self.calls = {"fwd": lambda: conv2d(x, w, padding=1)}
        self.times = {"fwd": []}
        self.naive = lambda: conv2d_naive(x, w, padding=1)


def measure(items, seconds: float) -> None:
    """Alternate rounds over every item until ``seconds`` have passed (3 rounds at least)."""
    for item in items:  # warm up: caches, allocator, BLAS threads
        item.time_round()
    start, rounds = time.perf_counter(), 0
    while rounds < 3 or time.perf_counter() - start < seconds:
        for item in items:
            item.time_round()
        rounds += 1


def peak_extra_mib(call) -> float:
    """tracemalloc peak of one call minus the bytes of the arrays it returns, in MiB."""
    tracemalloc.start()
    result = call()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    arrays = result if isinstance(result, tuple) else (result,)
    return (peak - sum(a.nbytes for a in arrays if a is not None)) / 2**20


def print_batch(layers, square: Square) -> None:
    batch = layers[0].batch
    top = square.gflops("gemm", 2)
    print(f"batch {batch}: GFLOP/s; 'same' = numpy matmul of the lowering's shapes, "
          f"'square' = {SQUARE}^2 matmul ({top:.1f}); ratios are fwd+bwd / ceiling")
    print(f"{'layer':6} {'GFLOP':>6} {'fwd':>7} {'bwd':>7} {'fwd+bwd':>8} {'same':>7} "
          f"{'/same':>6} {'/square':>8} {'extra MiB fwd / bwd / cache':>28}")
    totals = dict.fromkeys(("fwd", "bwd", "gemm", "macs"), 0)
    for layer in layers:
        both = 6 * layer.macs / (layer.best["fwd"] + layer.best["bwd"]) / 1e9
        same = layer.gflops("gemm", 2)
        fwd_mib, bwd_mib = (peak_extra_mib(layer.calls[key]) for key in ("fwd", "bwd"))
        kept = 0 if layer.cache.cols is None else layer.cache.cols.nbytes / 2**20
        extra = f"{fwd_mib:.1f} / {bwd_mib:.1f} / {kept:.1f}"
        print(f"{layer.name:6} {6 * layer.macs / 1e9:6.2f} {layer.gflops('fwd', 2):7.1f} "
              f"{layer.gflops('bwd', 4):7.1f} {both:8.1f} {same:7.1f} {both / same:6.2f} "
              f"{both / top:8.2f} {extra:>28}")
        for key in ("fwd", "bwd", "gemm"):
            totals[key] += layer.best[key]
        totals["macs"] += layer.macs
    macs = totals["macs"]
    both = 6 * macs / (totals["fwd"] + totals["bwd"]) / 1e9
    same = 2 * macs / totals["gemm"] / 1e9
    print(f"{'total':6} {6 * macs / 1e9:6.2f} {2 * macs / totals['fwd'] / 1e9:7.1f} "
          f"{4 * macs / totals['bwd'] / 1e9:7.1f} {both:8.1f} {same:7.1f} {both / same:6.2f} "
          f"{both / top:8.2f}\n")


def print_torch(layers, torch) -> None:
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), same interleaved "
          f"rounds: cnnlib time / torch time (> 1: cnnlib is slower)")
    print(f"{'layer':6} {'N':>2} {'fwd':>6} {'bwd':>6} {'fwd+bwd':>8}   forward at batch 1, ms: "
          f"cnnlib min / median / spread, torch min / median / spread")
    for layer in layers:
        best = layer.best
        torch_bwd = max(best["torch_fwd_bwd"] - best["torch_fwd"], 1e-9)
        line = (f"{layer.name:6} {layer.batch:2} {best['fwd'] / best['torch_fwd']:6.2f} "
                f"{best['bwd'] / torch_bwd:6.2f} "
                f"{(best['fwd'] + best['bwd']) / best['torch_fwd_bwd']:8.2f}")
        if layer.batch == 1:
            line += "   " + ", ".join(spread(layer.times[key]) for key in ("fwd", "torch_fwd"))
        print(line)
    fwd = [layer for layer in layers if layer.batch == 1]
    ratio = sum(layer.best["fwd"] for layer in fwd) / sum(layer.best["torch_fwd"] for layer in fwd)
    print(f"forward at batch 1, five convolutions together: cnnlib / torch = {ratio:.2f} "
          f"(minimum times)\n")


def spread(times) -> str:
    """``min / median / (p90 - min) / min`` of a list of times, in ms and %."""
    low, median, high = np.percentile(times, [0, 50, 90])
    return f"{low * 1e3:.2f} / {median * 1e3:.2f} / {100 * (high - low) / low:.0f}%"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few short rounds (smoke test)")
    args = parser.parse_args()

    threads = blas_threads()
    torch = load_torch(threads)
    rng = np.random.default_rng(0)
    print(f"numpy {np.__version__}, {threads} BLAS thread(s), {os.cpu_count()} CPU(s), float32, "
          f"column buffer budget {COLUMN_BUDGET / 2**20:.0f} MiB\n")

    square, small = Square(SQUARE, rng), Small(rng)
    batches = [[Layer(*spec, batch, rng, torch) for spec in ALEXNET] for batch in BATCHES]
    measure([square, small] + [layer for layers in batches for layer in layers],
            seconds=1.0 if args.quick else 20.0)

    for layers in batches:
        print_batch(layers, square)
    naive = min(_timed(small.naive) for _ in range(2))
    print(f"conv2d vs conv2d_naive on {small.label}: naive {naive * 1e3:.1f} ms, "
          f"fast {small.best['fwd'] * 1e3:.2f} ms, speed-up {naive / small.best['fwd']:.0f}x\n")
    if torch is None:
        print("torch: not installed (optional), no comparison.")
    else:
        print_torch([layer for layers in batches for layer in layers], torch)


def _timed(call) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
