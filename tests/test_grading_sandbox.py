"""What a sandboxed worker sees and may do: only the Python environment, no course, no network,
no privileges, limits across all its processes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nncourse.grading.sandbox import Sandbox, python_roots, sandbox_status

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(not sandbox_status()[0], reason=f"no sandbox here: {sandbox_status()[1]}")

PROBE = r"""
import json, os, socket, sys
root = sys.argv[1]
seen = {"uid": os.getuid(), "pid": os.getpid(), "course": sorted(os.listdir(root)) if os.path.isdir(root) else [], "solutions": os.path.exists(os.path.join(root, "solutions")),
        "tmp": sorted(os.listdir("/tmp")), "cwd": os.getcwd(), "root": sorted(os.listdir("/"))}
try:
    import nncourse
    seen["nncourse"] = nncourse.__file__
except ImportError:
    seen["nncourse"] = None
try:
    socket.create_connection(("127.0.0.1", 22), timeout=1)
    seen["net"] = "connected"
except OSError as exc:
    seen["net"] = type(exc).__name__
try:
    open("/usr/x", "w")
    seen["usr_writable"] = True
except OSError:
    seen["usr_writable"] = False
open("/scratch/ok", "w").write("x")
print(json.dumps(seen))
"""


def _under_tmp() -> set[str]:
    """What a private /tmp may show: the first folder of an environment that lives under /tmp."""
    return {p.split("/")[2] for p in python_roots() if p.startswith("/tmp/")}


def _run(code: str, *args: str, memory: int = 512 << 20, nproc: int = 32) -> subprocess.CompletedProcess:
    box = Sandbox.create(memory, nproc, 8 << 20)
    try:
        return subprocess.run(
            box.command([sys.executable, "-I", "-c", code, *args]),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        box.kill_all()


def test_the_sandbox_shows_only_the_python_environment():
    done = _run(PROBE, str(ROOT))
    seen = json.loads(done.stdout)
    assert seen["uid"] != 0 and seen["pid"] < 10 and seen["cwd"] == "/scratch"
    # the course folder is at most the mount point of its own .venv (where `make` puts the environment)
    venv = [Path(sys.prefix).name] if Path(sys.prefix).parent == ROOT else []
    assert seen["course"] == venv and not seen["solutions"] and seen["nncourse"] is None
    assert seen["net"] != "connected" and not seen["usr_writable"] and set(seen["tmp"]) <= _under_tmp()
    assert set(seen["root"]) <= {
        "usr",
        "lib",
        "lib64",
        "bin",
        "sbin",
        "proc",
        "dev",
        "tmp",
        "scratch",
        "opt",
        *(p.split("/")[1] for p in python_roots()),
    }


def test_children_cannot_escape_the_memory_and_process_limits():
    box_limits = Sandbox.create(256 << 20, 16, 1 << 20)
    box_limits.kill_all()
    if not box_limits.cgroups:
        pytest.skip("no cgroup here: limits are per process only")
    hog = "import subprocess, sys\nkids = [subprocess.Popen([sys.executable, '-c', 'b = bytearray(200 << 20); b[::4096] = bytes(len(b[::4096])); import time; time.sleep(30)']) for _ in range(4)]\nprint([k.wait() for k in kids])"
    done = _run(hog, memory=384 << 20)
    assert done.stdout.strip() and "-9" in done.stdout  # at least one child was killed by the cgroup
    forks = "import os\nn = 0\ntry:\n    while n < 200:\n        if os.fork() == 0:\n            import time; time.sleep(30)\n        n += 1\nexcept OSError:\n    pass\nprint(n)"
    done = _run(forks, nproc=16)
    assert int(done.stdout.strip().splitlines()[0]) < 16
