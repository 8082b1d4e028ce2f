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
    # 12. an error message that stops the CSV (a lone surrogate) and rewrites the instructor's
    # terminal: a fake progress line after a newline, ESC sequences (retitle, clear), C1
    # controls, bidi overrides and isolates, 5,000 characters
    "unsafe_message_hw1.ipynb": (HW1, "hw1_zfnet_parameters", ['''
conv1_params = (7 * 7 * 3 + 1) * 96
''', '''
raise RuntimeError("\\ud800 done\\n[2/3] classmate_hw3.ipynb: 0/40 (0.1 s)\\r\\x1b]0;retitled\\x07"
                   "\\x1b[2J\\u202eevil\\u2066\\u200f\\u061c\\x85\\x9b31m" + "x" * 5000)
''']),
    # 13. write records into the answers' channel: a model description that claims what it
    # does not have (settings as bool and float, "no bias" with the biases' count), a
    # 900-deep answer, names the task never asked for, a 5,000-character cell and call id
    "forged_answers_hw2.ipynb": (HW2, "hw2_build_zfnet", ['''
import json
import os


def conv(c_in, c_out, k, s, p, groups=1):
    return {"type": "Conv2d", "module": "cnnlib.layers.conv",
            "parameters": int((k * k * c_in + 1) * c_out),
            "settings": {"in_channels": c_in, "out_channels": c_out, "kernel_size": [k, k],
                         "stride": [s, s], "padding": [p, p], "dilation": [1, 1],
                         "groups": groups}}


def linear(n_in, n_out, bias=True):
    return {"type": "Linear", "module": "cnnlib.layers.linear", "parameters": (n_in + 1) * n_out,
            "settings": {"in_features": n_in, "out_features": n_out, "bias": bias}}


relu = {"type": "ReLU", "module": "cnnlib.layers.activations", "settings": {}, "parameters": 0}
pool = {"type": "MaxPool2d", "module": "cnnlib.layers.pooling", "parameters": 0,
        "settings": {"kernel_size": [3, 3], "stride": [2, 2], "padding": [0, 0],
                     "dilation": [1, 1], "ceil_mode": True}}
flatten = {"type": "Flatten", "module": "cnnlib.layers.linear", "parameters": 0,
           "settings": {"start_dim": 1, "end_dim": -1}}
drop = {"type": "Dropout", "module": "cnnlib.layers.linear", "parameters": 0,
        "settings": {"p": 0.5}}
first = conv(3.0, 96, 7, 2, 1, groups=True)   # a float and a bool where counts belong
layers = [first, relu, pool, conv(96, 256, 5, 2, 0), relu, pool, conv(256, 384, 3, 1, 1), relu,
          conv(384, 384, 3, 1, 1), relu, conv(384, 256, 3, 1, 1), relu, pool, flatten,
          drop, linear(9216, 4096), relu, drop, linear(4096, 4096), relu,
          linear(4096, 1000, bias=False)]   # "no bias", yet the count with the biases
deep = 0.8
for _ in range(900):
    deep = [deep]
long = "\\n[2/3] classmate: 0/40\\x1b]0;retitled\\x07\\u202e" + "y" * 5000
records = [{"kind": "model", "name": "model", "layers": layers},
           {"kind": "value", "name": "fc_share", "value": deep},
           {"kind": "value", "name": "model_points", "value": 10},
           {"kind": "cell_timeout", "cell": long},
           {"kind": "call", "id": long, "error": "timed out"},
           {"kind": "cell_error", "cell": 1, "error": long}]
for fd in range(1, 12):
    for record in records:
        try:
            os.write(fd, (json.dumps(record) + "\\n").encode())
        except OSError:
            pass
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

# The sandbox's limits per submission, keyring, uid, root and answers channel: in their own
# folder, which tests/test_sandbox.py grades (tests/test_homework.py grades the ones above).
SANDBOX_OUT = OUT / "sandbox"
ZFNET_LAYERS = '''Sequential(
    Conv2d(3, 96, 7, stride=2, padding=1), ReLU(), MaxPool2d(3, 2, ceil_mode=True),
    Conv2d(96, 256, 5, stride=2), ReLU(), MaxPool2d(3, 2, ceil_mode=True),
    Conv2d(256, 384, 3, padding=1), ReLU(), Conv2d(384, 384, 3, padding=1), ReLU(),
    Conv2d(384, 256, 3, padding=1), ReLU(), MaxPool2d(3, 2, ceil_mode=True), Flatten(),
    Dropout(), Linear(9216, 4096), ReLU(), Dropout(), Linear(4096, 4096), ReLU(),
    Linear(4096, 1000))'''
SANDBOX_CASES = {
    # 12. fill every tmpfs (/tmp, /dev/shm, the scratch HOME) and try / and /dev, 8 MB files
    "fill_tmpfs_hw1.ipynb": (HW1, "hw1_zfnet_parameters", ['''
import os
conv1_params = (7 * 7 * 3 + 1) * 96
block = b"x" * (8 * 2**20)
written = {}
for folder in ["/tmp", "/dev/shm", os.path.expanduser("~"), "/", "/dev"]:
    names = [os.path.join(folder, f"fill-{number}") for number in range(128)]  # up to 1 GB
    for name in names:
        try:
            with open(name, "wb") as file:
                file.write(block)
        except OSError:
            break
    written[folder] = sum(os.path.getsize(n) for n in names if os.path.exists(n))
raise RuntimeError("written " + " ".join(f"{k}={v // 2**20}MB" for k, v in written.items()))
''']),
    # 13. hold more memory together than --memory, every process under its own limit
    "memory_total_hw1.ipynb": (HW1, "hw1_zfnet_parameters", ['''
import os, time
conv1_params = (7 * 7 * 3 + 1) * 96
children = []
for _ in range(6):
    pid = os.fork()
    if pid == 0:
        hog = b"x" * (120 * 2**20)
        time.sleep(4)
        os._exit(0)
    children.append(pid)
held = sum(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0 for pid in children)
raise RuntimeError(f"{held} of 6 children held 120 MB each for 4 s")
''']),
    # 14. start more processes than the limit, none detached
    "many_processes_hw1.ipynb": (HW1, "hw1_zfnet_parameters", ['''
import os, time
conv1_params = (7 * 7 * 3 + 1) * 96
started = 0
for _ in range(200):
    try:
        if os.fork() == 0:
            time.sleep(3)
            os._exit(0)
        started += 1
    except OSError:
        break
time.sleep(1)
raise RuntimeError(f"started {started} processes")
''']),
    # 15. take all the CPU until the wall time runs out: children that leave the session and
    # spin, and a parent that ignores the runner's alarm
    "cpu_hog_hw3.ipynb": (HW3, "hw3_conv_and_pool_from_scratch", ['''
import os, signal
signal.signal(signal.SIGALRM, signal.SIG_IGN)
for _ in range(200):
    try:
        if os.fork() == 0:
            os.setsid()
            while True:
                pass
    except OSError:
        break
while True:
    pass
''']),
    # 16. read and revoke the keys of every keyring it can name (the instructor's session)
    "keyring_hw1.ipynb": (HW1, "hw1_zfnet_parameters", ['''
import ctypes, os
conv1_params = (7 * 7 * 3 + 1) * 96
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
KEYCTL = {"x86_64": 250, "aarch64": 219}[os.uname().machine]
def keyctl(*args):
    return libc.syscall(ctypes.c_long(KEYCTL), *[ctypes.c_long(a) if isinstance(a, int) else a
                                                for a in args])
payloads, errors, ids = [], [], set()
try:
    for line in open("/proc/keys"):
        ids.add(int(line.split()[0], 16))
except (OSError, ValueError) as error:
    errors.append(str(error))
for ring in (-3, -4, -5, -2, -1):  # session, user, user-session, process, thread keyrings
    buffer = ctypes.create_string_buffer(4096)
    size = keyctl(11, ring, buffer, 4096)  # KEYCTL_READ of a keyring: its keys' ids
    if size > 0:
        ids.update(int.from_bytes(buffer.raw[i:i + 4], "little") for i in range(0, size, 4))
    else:
        errors.append(f"{ring}:{ctypes.get_errno()}")
for key in ids:
    buffer = ctypes.create_string_buffer(4096)
    size = keyctl(11, key, buffer, 4096)
    if size > 0:
        payloads.append(buffer.raw[:size].decode(errors="replace"))
    keyctl(3, key)  # KEYCTL_REVOKE
raise RuntimeError("keys: " + " ".join(payloads) + " | " + " ".join(errors))
''']),
    # 17. write forged records (a fake "ready", then the answers in the order the task asks
    # for them: a correct ZFNet's description) to every file descriptor and to the supervisor's
    # through /proc; no build_zfnet at all
    "forged_model_hw2.ipynb": (HW2, "hw2_build_zfnet", [f'''
import json, os, runpy
from cnnlib.layers import Conv2d, Dropout, Flatten, Linear, MaxPool2d, ReLU, Sequential
describe = runpy.run_path("/grader/runner.py")["describe_model"]
record = {{"kind": "model", "name": "model", "layers": describe({ZFNET_LAYERS})}}
forged = "".join(json.dumps(r) + "\\n" for r in [
    record, {{"kind": "ready"}}, {{"kind": "value", "name": "fc_share", "value": 0.96}},
    {{**record, "nonce": None}}, {{"kind": "done"}}]).encode()
for fd in range(64):
    try:
        os.write(fd, forged)
    except OSError:
        pass
for pid in ["1", "self", str(os.getppid())]:
    for fd in range(8):
        try:
            target = os.open(f"/proc/{{pid}}/fd/{{fd}}", os.O_WRONLY | os.O_NONBLOCK)
            os.write(target, forged)
        except OSError:
            pass
''']),
    # 18. say which uid it runs as (0 would be the grader's root)
    "uid_hw1.ipynb": (HW1, "hw1_zfnet_parameters", ['''
import os
conv1_params = os.getuid()
conv1_shape = [os.getuid(), os.geteuid(), os.getgid(), *os.getgroups()]
''']),
    # 19. list everything it can see for notebooks (a course checkout under /usr/local/src,
    # another environment of the interpreter's prefix)
    "list_root_hw2.ipynb": (HW2, "hw2_build_zfnet", ['''
import os
found, files = [], 0
for folder, dirs, names in os.walk("/"):
    if folder == "/proc":
        dirs[:] = []
        continue
    files += len(names)
    found += [os.path.join(folder, n) for n in names + dirs if n.endswith(".ipynb")
              or "solution" in n.lower() or "cnnlib-marker" in n]
raise RuntimeError(f"found {len(found)} of {files} files: {found[:3]}")
''']),
}
SANDBOX_OUT.mkdir(exist_ok=True)
for name, (base, homework, cells) in SANDBOX_CASES.items():
    nbformat.write(notebook([c.strip("\n") for c in cells], homework, base), SANDBOX_OUT / name)
