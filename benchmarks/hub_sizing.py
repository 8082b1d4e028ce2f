"""How much memory and CPU one student needs on a JupyterHub: a report, never a test.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/hub_sizing.py [--write]

Runs the whole course as one student would: every course notebook (``notebooks/00`` to ``12``)
executed top to bottom, each in a fresh kernel of its own process, so that
``resource.getrusage(RUSAGE_CHILDREN)`` of that process is exactly the kernel's peak resident
memory (``ru_maxrss``) and CPU seconds (user + system). It also starts a JupyterLab server on
127.0.0.1, loads the Lab page once and reads the server's own peak memory (``VmHWM``, Linux),
which every student's server adds to their kernel.

Prints a table; with ``--write`` also stores the figures and the limits derived from them in
``hub/sizing.json``, the one place the hub configurations (``hub/tljh/README.md``,
``hub/z2jh/config.yaml``) and the README's sizing table take their numbers from
(``tests/test_hub_config.py`` checks that they agree). The rules that turn measurements into
limits are :func:`limits`.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import secrets
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZING = ROOT / "hub" / "sizing.json"
#: Memory limit = (server + the largest kernel) x MARGIN, rounded up to a multiple of STEP_MB.
MARGIN = 1.5
STEP_MB = 256
#: A class pressing "Run all" on one notebook at the same moment should be done within this
#: many seconds on average: students per core = DEADLINE_S / mean CPU seconds of a notebook.
DEADLINE_S = 60


def course_notebooks() -> list[Path]:
    """The course notebooks a student runs: ``notebooks/00_*`` to ``notebooks/12_*``."""
    return sorted(p for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def run_one(path: Path) -> dict:
    """Execute ``path`` in a fresh kernel (this process's only child); its peak and CPU."""
    import nbclient
    import nbformat

    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}}).execute()
    wall = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # the kernel, reaped at shutdown
    return {"notebook": path.name, "peak_mb": usage.ru_maxrss / 1024,  # Linux: kilobytes
            "cpu_s": usage.ru_utime + usage.ru_stime, "wall_s": wall}


def measure(path: Path) -> dict:
    """:func:`run_one` in a process of its own, so the kernel is its only child."""
    output = subprocess.run([sys.executable, __file__, "--one", str(path)], check=True,
                            capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_peak_mb(seconds: float = 60) -> float:
    """Peak memory (MB) of a JupyterLab server on 127.0.0.1 after serving the Lab page once."""
    port, token = _free_port(), secrets.token_hex(16)
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={ROOT / 'notebooks'}",
         *(["--allow-root"] if os.geteuid() == 0 else [])],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + seconds
        while True:
            try:
                for page in ("lab", "api/kernelspecs", "api/contents"):
                    urllib.request.urlopen(
                        f"http://127.0.0.1:{port}/{page}?token={token}", timeout=10).read()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("the JupyterLab server did not answer") from None
                time.sleep(0.5)
        time.sleep(2)
        status = Path(f"/proc/{server.pid}/status").read_text()
        line = next(x for x in status.splitlines() if x.startswith("VmHWM:"))
        return int(line.split()[1]) / 1024
    finally:
        server.terminate()
        server.wait(30)


def limits(kernels: list[dict], server_mb: float) -> dict:
    """The per-student figures the hub configurations use, from the measurements."""
    peak = max(k["peak_mb"] for k in kernels)
    typical = statistics.median(k["peak_mb"] for k in kernels)
    cpu = [k["cpu_s"] for k in kernels]
    per_core = math.floor(DEADLINE_S / statistics.mean(cpu))
    limit = math.ceil((server_mb + peak) * MARGIN / STEP_MB) * STEP_MB
    guarantee = math.ceil((server_mb + typical) / 128) * 128
    return {
        "memory_limit_mb": limit,
        "memory_guarantee_mb": guarantee,
        "cpu_limit": 1.0,  # cnnlib's numpy runs one BLAS thread (OPENBLAS_NUM_THREADS=1)
        "cpu_guarantee": round(max(0.05, 1 / per_core), 2),
        "students_per_core": per_core,
        "students_per_gb": math.floor(1024 / guarantee),
        "students_per_gb_all_at_peak": math.floor(1024 / (server_mb + peak)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--write", action="store_true",
                        help=f"store the figures in {SIZING.relative_to(ROOT)}")
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one)))
        return
    kernels = []
    for path in course_notebooks():
        kernels.append(measure(path))
        k = kernels[-1]
        print(f"{k['notebook']:42} peak {k['peak_mb']:6.0f} MB  CPU {k['cpu_s']:6.1f} s  "
              f"wall {k['wall_s']:6.1f} s", flush=True)
    server = server_peak_mb()
    print(f"{'JupyterLab server (Lab page served)':42} peak {server:6.0f} MB")
    derived = limits(kernels, server)
    total = sum(k["cpu_s"] for k in kernels)
    print(f"whole course: {total:.0f} CPU s; largest kernel "
          f"{max(k['peak_mb'] for k in kernels):.0f} MB")
    for key, value in derived.items():
        print(f"{key:30} {value}")
    if args.write:
        record = {
            "measured": {"kernels": [{key: (round(v, 1) if isinstance(v, float) else v)
                                      for key, v in k.items()} for k in kernels],
                         "server_peak_mb": round(server, 1), "course_cpu_s": round(total, 1),
                         "python": sys.version.split()[0],
                         "openblas_threads": os.environ.get("OPENBLAS_NUM_THREADS", "")},
            "rules": {"margin": MARGIN, "step_mb": STEP_MB, "deadline_s": DEADLINE_S},
            "limits": derived,
        }
        SIZING.parent.mkdir(exist_ok=True)
        SIZING.write_text(json.dumps(record, indent=1) + "\n")
        print(f"written to {SIZING.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
