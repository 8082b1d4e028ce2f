"""Write the hostile sample submissions (one-off; the notebooks are committed)."""
from pathlib import Path

import nbformat

OUT = Path("tests/hostile_submissions")
STUDENT = Path("notebooks/homework/student")
SAMPLE = Path("notebooks/homework/samples")


def notebook(cells, homework, base=None):
    nb = nbformat.read(base, as_version=4) if base else nbformat.v4.new_notebook()
    nb.metadata["cnnlib"] = {"homework": homework}
    nb.cells += [nbformat.v4.new_code_cell(c) for c in cells]
    for i, c in enumerate(nb.cells):
        c.id = f"hostile-{i}"
    return nb


HW1 = STUDENT / "hw1_zfnet_parameters.ipynb"
HW2 = STUDENT / "hw2_build_zfnet.ipynb"
HW3 = STUDENT / "hw3_conv_and_pool_from_scratch.ipynb"
POOL = '''import numpy as np
def max_pool2d_forward(x, kernel_size, stride):
    n, c, h, w = x.shape
    oh, ow = (h - kernel_size) // stride + 1, (w - kernel_size) // stride + 1
    out = np.zeros((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            out[:, :, i, j] = x[:, :, i * stride:i * stride + kernel_size,
                                j * stride:j * stride + kernel_size].max(axis=(2, 3))
    return out
'''

CASES = {
    # 1. forge the old grading log, print fake passes, and forge answer lines on every fd
    "forged_log_hw1.ipynb": (HW1, "hw1_zfnet_parameters", ['''
import json, os
record = {"homework": "hw1_zfnet_parameters", "status": "correct"}
log = os.environ.get("CNNLIB_GRADING_LOG", "grading-log.jsonl")
with open(log, "a") as f:
    for ex in ["conv1_shape", "conv1_params", "total_params"]:
        f.write(json.dumps({**record, "exercise": ex}) + "\\n")
print("✔ conv1 output shape: correct")
for fd in range(1, 12):
    for name in ["conv1_shape", "conv1_params", "total_params"]:
        try:
            os.write(fd, (json.dumps({"kind": "value", "name": name, "value": 1}) + "\\n").encode())
        except OSError:
            pass
''']),
    # 2. replace the checker and the grader's scoring, brute-force through the checker
    "monkeypatch_checker_hw1.ipynb": (HW1, "hw1_zfnet_parameters", ['''
import sys
from cnnlib.checks import homework as check
found = None
for size in range(1, 300):
    if check.zfnet_layer("conv1", (64, size, size), 0):
        found = size
        break
conv1_shape = (64, found, found) if found else (64, 1, 1)
def always_right(*args, **kwargs):
    return "correct"
for name in ["zfnet_layer", "zfnet_total", "score", "_check_shape", "_check_params"]:
    setattr(check, name, always_right)
try:
    import cnnlib.homework.grade as grade
    grade.score = always_right
except Exception:
    pass
sys.modules["cnnlib.checks.homework"] = check
''']),
    # 3. use cnnlib (and scipy) where homework 3 forbids it
    "forbidden_library_hw3.ipynb": (HW3, "hw3_conv_and_pool_from_scratch", ['''
def conv2d_forward(x, w, b, stride=1, padding=0):
    from cnnlib.conv import conv2d
    return conv2d(x, w, b, stride=stride, padding=padding)

def conv2d_backward(dout, x, w, b, stride=1, padding=0):
    from cnnlib.conv import conv2d_backward as backward
    return backward(dout, x, w, b, stride=stride, padding=padding)

def max_pool2d_forward(x, kernel_size, stride):
    import cnnlib
    return cnnlib.max_pool2d(x, kernel_size, stride)

def max_pool2d_backward(dout, x, kernel_size, stride):
    from scipy import ndimage  # not numpy either
    from cnnlib.pool import max_pool2d_backward as backward
    return backward(dout, x, kernel_size, stride)
''']),
    # 3b. reach scipy (or an installed cnnlib) by putting the interpreter's site-packages on
    # sys.path, and write a correct convolution with it
    "sys_path_hw3.ipynb": (HW3, "hw3_conv_and_pool_from_scratch", ['''
import site, sys
sys.path += site.getsitepackages() + ["/usr/lib/python3/dist-packages"]
import numpy as np

def conv2d_forward(x, w, b, stride=1, padding=0):
    from scipy.signal import correlate
    p = padding
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    out = np.stack([np.stack([correlate(image, kernel, mode="valid")[0] for kernel in w])
                    for image in xp])
    return out[:, :, ::stride, ::stride] + b[None, :, None, None]
''']),
    # 4. look for the instructor's solution (checkout, installed package, anywhere) and run it
    "read_solution_hw2.ipynb": (HW2, "hw2_build_zfnet", ['''
import glob, json, os
found = []
for pattern in ["/**/hw2_build_zfnet.ipynb", "/**/notebooks/homework/*.ipynb",
                os.path.expanduser("~") + "/**/*.ipynb"]:
    try:
        found += glob.glob(pattern, recursive=True)
    except Exception:
        pass
for path in found:
    try:
        nb = json.load(open(path))
        for cell in nb["cells"]:
            if "def build_zfnet" in "".join(cell["source"]):
                exec("".join(cell["source"]))
    except Exception:
        pass
''', '''
try:
    from cnnlib.checks.homework import zfnet as build_zfnet  # the grader's reference
except ImportError:
    pass
try:
    from cnnlib.checks.homework import _table
    fc_share = sum(r[3] for k, r in _table().items() if k.startswith("fc")) / sum(
        r[3] for r in _table().values())
except Exception:
    pass
''']),
    # 5. write everywhere it can reach: other submissions, HOME startup files, the whole tree
    "write_outside_hw1.ipynb": (HW1, "hw1_zfnet_parameters", ['''
import os
written = []
startup = os.path.expanduser("~/.ipython/profile_default/startup")
os.makedirs(startup, exist_ok=True)
open(os.path.join(startup, "00-pwned.py"), "w").write("print('pwned')")
for top in ["/", "..", "../..", "/tmp", "/work", "/root", "/home", "/grader", "/usr"]:
    for folder, _dirs, files in os.walk(top):
        for name in files:
            path = os.path.join(folder, name)
            if name.endswith((".ipynb", ".py", ".csv", ".txt")) and "/proc/" not in path:
                try:
                    with open(path, "a") as f:
                        f.write("pwned")
                    written.append(path)
                except OSError:
                    pass
        try:
            open(os.path.join(folder, "pwned.txt"), "w").write("pwned")
        except OSError:
            pass
        if len(written) > 2000:
            break
''']),
    # 6. kill the grader (its parent) and everything it can signal
    "kill_parent_hw3.ipynb": (HW3, "hw3_conv_and_pool_from_scratch", [POOL, '''
import os, signal
for pid in [os.getppid(), 1]:
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
try:
    os.kill(-1, signal.SIGKILL)
except OSError:
    pass
''']),
    # 7. fork 50 detached children that try to outlive grading
    "fork_and_detach_hw1.ipynb": (HW1, "hw1_zfnet_parameters", ['''
import os, time
for _ in range(50):
    try:
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                time.sleep(600)
            os._exit(0)
    except OSError:
        break
conv1_params = (7 * 7 * 3 + 1) * 96
''']),
    # 8. take all the memory
    "memory_hog_hw3.ipynb": (HW3, "hw3_conv_and_pool_from_scratch", [POOL, '''
import numpy as np
hog = [np.ones((1024, 1024, 128)) for _ in range(200)]
''', '''
hog = bytearray(64 * 2**30)
''']),
    # 9. flood the output and the answers' channel
    "output_flood_hw1.ipynb": (HW1, "hw1_zfnet_parameters", ['''
import os, sys
conv1_params = (7 * 7 * 3 + 1) * 96
for _ in range(10_000):
    print("x" * 10_000)
    sys.stderr.write("y" * 10_000)
block = b"z" * 1_000_000
for fd in range(3, 12):
    for _ in range(200):
        try:
            os.write(fd, block)
        except OSError:
            break
''']),
    # 10. an infinite loop that swallows every exception (even the runner's alarm)
    "infinite_loop_hw3.ipynb": (HW3, "hw3_conv_and_pool_from_scratch", [POOL, '''
import signal
signal.signal(signal.SIGALRM, signal.SIG_IGN)
while True:
    try:
        while True:
            pass
    except BaseException:
        pass
''']),
    # 11. put secrets (the grader's command line, /etc/passwd) into the reason column
    "leak_secrets_hw2.ipynb": (HW2, "hw2_build_zfnet", ['''
import os
secrets = []
for path in ["/etc/passwd", "/etc/shadow", "/proc/1/cmdline", "/proc/1/environ"]:
    try:
        secrets.append(open(path, "rb").read()[:200].decode(errors="replace"))
    except OSError as error:
        secrets.append(str(error))
secrets.append(" ".join(f"{k}={v}" for k, v in os.environ.items()))
raise RuntimeError(" | ".join(secrets))
''']),
}

OUT.mkdir(exist_ok=True)
for name, (base, homework, cells) in CASES.items():
    nbformat.write(notebook([c.strip("\n") for c in cells], homework, base), OUT / name)
# metadata says homework 1, the code is a complete homework 3
nb = nbformat.read(SAMPLE / "correct_hw3.ipynb", as_version=4)
nb.metadata["cnnlib"] = {"homework": "hw1_zfnet_parameters"}
nbformat.write(nb, OUT / "mislabelled_hw1.ipynb")
# a complete homework 3 whose check cells were deleted
nb.cells = [c for c in nb.cells if "check." not in c.source or "import" in c.source]
nb.metadata["cnnlib"] = {"homework": "hw3_conv_and_pool_from_scratch"}
nbformat.write(nb, OUT / "no_check_cells_hw3.ipynb")
