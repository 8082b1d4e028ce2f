"""Update latency of every explorer: median and 95th percentile, in ms per update.

One update = set a control's value -> the explorer's observe callback renders the new state
-> new markup (SVG/HTML) or a redrawn matplotlib canvas encoded as PNG is in the widget. The
front end's own drawing is not included (it is the browser's). Target: p95 < 50 ms; for the
trained-network explorer, one update of the drawing pad (a stroke's new pixels, as the browser
sends them at most every 40 ms while drawing: a forward pass, the occlusion map's 169 forward
passes and the whole picture) p95 < 100 ms.

Run: .venv/bin/python benchmarks/explorers.py [--updates 60]
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time

from cnnlib.widgets import (
    activations_explorer,
    batch_norm_explorer,
    layer_stack_explorer,
    output_size_explorer,
    pooling_explorer,
    receptive_field_explorer,
    stepper_explorer,
    trained_net_explorer,
)

# explorer factory, then (control, values) pairs cycled in order: what a student drags
SCENARIOS = {
    "output size": (output_size_explorer, [("height", range(5, 25)), ("stride", range(1, 7)),
                                           ("kernel_size", range(1, 10)),
                                           ("dilation", range(1, 5))]),
    "receptive field": (receptive_field_explorer, [("row", range(0, 5)),
                                                   ("kernel_size", range(1, 6)),
                                                   ("input_size", range(9, 30))]),
    "receptive field (AlexNet)": (
        lambda: receptive_field_explorer("AlexNet (2012) first layers"),
        [("row", range(0, 13)), ("col", range(0, 13))]),
    "conv stepper": (stepper_explorer, [("step", range(0, 25))]),
    "pooling (grid)": (pooling_explorer, [("kernel_size", range(1, 5)), ("stride", range(1, 5)),
                                          ("step", range(0, 4))]),
    "pooling (image)": (lambda: pooling_explorer(source="image"),
                        [("kernel_size", range(1, 7)), ("stride", range(1, 7))]),
    "activations": (activations_explorer, [("layers", range(1, 21)),
                                           ("x", [v / 4 for v in range(-24, 25)])]),
    "batch norm": (batch_norm_explorer, [("gamma", [v / 10 for v in range(1, 31)]),
                                         ("steps", range(0, 101)),
                                         ("beta", [v / 4 for v in range(-12, 13)])]),
    "layer stack (AlexNet)": (layer_stack_explorer, [("size", range(16, 400, 16)),
                                                     ("kernel_size", range(1, 12))]),
    "trained net (cell, occluder)": (trained_net_explorer, [
        ("row", range(0, 16)), ("layer", ["1", "3", "4", "7", "0"]), ("channel", range(0, 8)),
        ("occlude", [True]), ("occluder_col", range(0, 13))]),
}
#: Explorers with a drawing pad: one update is one new drawing (target p95 < 100 ms).
STROKE_TARGET_MS = 100


def measure_strokes(n: int) -> list[float]:
    """Draw on the trained-network explorer's pad: every update paints one more pixel."""
    explorer = trained_net_explorer(image=None)
    pad, times = explorer.pad, []
    for i in range(n):
        if i % 8 == 0:
            pad.begin_stroke()
        start = time.perf_counter()
        pad.paint(2 + i % 12, 3 + (i // 12) % 10)
        times.append((time.perf_counter() - start) * 1000)
    assert explorer.draws >= n and explorer.last_bug is None
    return times


def updates(explorer, plan, n):
    """Yield n (control, value) changes, cycling through the plan; every change is real."""
    steps = itertools.cycle([(name, v) for name, values in plan for v in values])
    produced = 0
    for name, value in steps:
        control = explorer.controls[name]
        if control.value == value or control.disabled:
            continue
        yield control, value
        produced += 1
        if produced == n:
            return


def measure(make, plan, n: int) -> list[float]:
    explorer = make()
    times = []
    for control, value in updates(explorer, plan, n):
        start = time.perf_counter()
        control.value = value
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=60, help="updates per explorer")
    args = parser.parse_args()
    print(f"{'explorer':28} {'median ms':>10} {'p95 ms':>8}   (n = {args.updates})")
    for name, (make, plan) in SCENARIOS.items():
        times = measure(make, plan, args.updates)
        p95 = statistics.quantiles(times, n=20)[-1]
        flag = "" if p95 < 50 else "  <- over the 50 ms target"
        print(f"{name:28} {statistics.median(times):10.1f} {p95:8.1f}{flag}")
    times = measure_strokes(args.updates)
    p95 = statistics.quantiles(times, n=20)[-1]
    flag = "" if p95 < STROKE_TARGET_MS else f"  <- over the {STROKE_TARGET_MS} ms target"
    print(f"{'trained net (pad stroke)':28} {statistics.median(times):10.1f} {p95:8.1f}{flag}")


if __name__ == "__main__":
    main()
