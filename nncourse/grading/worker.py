"""The grading worker: runs ONE submission's answer cells in a limited process and answers calls.

Started by the grader as ``python -I worker.py FD_IN FD_OUT``, normally inside the bubblewrap
sandbox (``sandbox.py``), which is the real boundary; it imports nothing from ``nncourse`` (only
``wire.py``, by file path: both files are bound alone into the sandbox). Before any learner code
runs it: moves to its scratch folder, points stdin/stdout/stderr at /dev/null, drops root
privileges where it still has them (only without the sandbox), sets resource limits, and installs
an audit hook as a second layer that refuses process creation, signals, sockets, ctypes, imports of
the course package and any file access to the course's folders or outside the scratch folder for
writing. Then it executes the learner's cells one by one (reporting each), and serves calls:
the grader sends inputs as plain data and receives plain data back.

This file is not a sandbox on its own; the grader adds wall-clock limits and kills the whole
process group when one expires.
"""

from __future__ import annotations

import os
import resource
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import ModuleType

# Standard modules a learner may import, loaded now: after the worker drops root privileges the
# interpreter's own folder may be unreadable (e.g. a Python installed under /root).
PRELOAD = (
    "bisect",
    "collections",
    "copy",
    "dataclasses",
    "fractions",
    "functools",
    "heapq",
    "itertools",
    "json",
    "math",
    "numbers",
    "operator",
    "random",
    "re",
    "statistics",
    "string",
    "time",
    "typing",
    "warnings",
)


def _load_wire() -> ModuleType:
    import importlib.util

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "wire.py")
    spec = importlib.util.spec_from_file_location("_nncourse_wire", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load the wire format module from {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


wire = _load_wire()
_FD_IN, _FD_OUT = int(sys.argv[1]), int(sys.argv[2])
_reader = os.fdopen(_FD_IN, "rb")
_writer = os.fdopen(_FD_OUT, "wb", buffering=0)
_read_line = _reader.readline
_write = _writer.write


def send(message: dict) -> None:
    _write(wire.dumps(message))


def receive() -> dict:
    line = _read_line(256 * 1024 * 1024)
    if not line:
        os._exit(0)  # the grader went away
    return wire.loads(line)


_DENIED_EVENTS = (
    "os.fork",
    "os.forkpty",
    "os.posix_spawn",
    "os.spawn",
    "os.exec",
    "os.system",
    "subprocess.Popen",
    "pty.spawn",
    "os.kill",
    "os.killpg",
    "signal.pthread_kill",
    "os.setuid",
    "os.setgid",
    "os.chmod",
    "os.chown",
    "os.remove",
    "os.rename",
    "os.rmdir",
    "os.symlink",
    "os.link",
    "os.truncate",
    "shutil.rmtree",
    "builtins.input",
    "os.putenv",
    "os.unsetenv",
    "winreg",
    "webbrowser.open",
    "sys.remote_exec",
)


def _install_guard(protected: list[str], scratch: str) -> None:
    protected = [os.path.realpath(p) for p in protected]
    scratch = os.path.realpath(scratch)

    def inside(path: str, roots: list[str]) -> bool:
        return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)

    def guard(event: str, args: tuple) -> None:
        if event in _DENIED_EVENTS or event.startswith(("socket.", "ctypes.", "_posixsubprocess", "mmap.")):
            raise PermissionError(f"not allowed while grading: {event}")
        if (
            event == "import"
            and args
            and isinstance(args[0], str)
            and args[0].split(".")[0] in ("nncourse", "_nncourse_wire")
        ):
            raise PermissionError("not allowed while grading: importing the course package")
        if event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
            path = os.path.realpath(os.fsdecode(args[0]))
            mode = args[1] if len(args) > 1 and isinstance(args[1], str) else "r"
            flags = args[2] if len(args) > 2 and isinstance(args[2], int) else 0
            writing = any(c in mode for c in "wax+") or flags & (
                os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
            )
            if inside(path, protected) or (path.startswith("/proc/") and not path.startswith("/proc/self/")):
                raise PermissionError(f"not allowed while grading: opening {path}")
            if writing and not inside(path, [scratch]) and path != os.devnull:
                raise PermissionError(f"not allowed while grading: writing {path}")

    sys.addaudithook(guard)


def _limit(limits: dict) -> None:
    def cap(which: int, value: int) -> None:
        _soft, hard = resource.getrlimit(which)
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(which, (value, value))

    with open("/proc/self/statm") as handle:  # current virtual size, pages
        vsize = int(handle.read().split()[0]) * resource.getpagesize()
    cap(resource.RLIMIT_AS, vsize + limits["memory_mb"] * 1024 * 1024)
    cap(resource.RLIMIT_CPU, limits["cpu_s"])
    cap(resource.RLIMIT_FSIZE, limits["output_bytes"])
    cap(resource.RLIMIT_NOFILE, 64)
    if os.getuid() != 0:  # counted per real uid: the sandbox gives each worker its own when it can
        cap(resource.RLIMIT_NPROC, limits["nproc"])


def _isolate(scratch: str, drop_to: int | None) -> None:
    os.chdir(scratch)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1) if os.environ.get("NNCOURSE_WORKER_DEBUG") else (0, 1, 2):
        os.dup2(null, fd)
    if drop_to is not None and os.getuid() == 0:
        os.setgroups([])
        os.setgid(drop_to)
        os.setuid(drop_to)


def _describe(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) < 500 else text[:497] + "..."


def _make_proxy(name: str) -> Callable[..., Any]:
    def proxy(*args: Any, **kwargs: Any) -> Any:
        send({"callback": name, "args": wire.encode(list(args)), "kwargs": wire.encode(kwargs)})
        reply = receive()
        if "error" in reply:
            raise RuntimeError(reply["error"])
        return wire.decode(reply["value"])

    proxy.__name__ = name
    return proxy


def main() -> None:
    config = receive()
    namespace: dict = {"__name__": "__main__", "__builtins__": __builtins__}
    for module in PRELOAD + tuple(config.get("imports", [])):
        __import__(module)  # heavy imports happen before the limits
    exec(compile(config["prelude"], "<course prelude>", "exec"), namespace)
    _isolate(config["scratch"], config.get("drop_to"))
    _limit(config["limits"])
    _install_guard(config["protected"], config["scratch"])
    for name in config.get("proxies", []):
        namespace[name] = _make_proxy(name)
    for index, cell in enumerate(config["cells"]):
        send({"cell": index, "start": True})
        try:
            exec(compile(cell, f"<answer cell {index}>", "exec"), namespace)
            send({"cell": index, "ok": True})
        except BaseException as exc:  # noqa: BLE001 - SystemExit, KeyboardInterrupt too: report, go on
            send({"cell": index, "ok": False, "error": _describe(exc)})
        for name in config.get("proxies", []):  # a learner's redefinition never replaces a substitute
            namespace[name] = _make_proxy(name)
    send({"ready": [n for n, v in namespace.items() if callable(v) and not n.startswith("__")]})
    while True:
        request = receive()
        if "proxy" in request:
            namespace[request["proxy"]] = _make_proxy(request["proxy"])
            continue
        fn = namespace.get(request["call"])
        if not callable(fn):
            send({"results": None, "error": f"{request['call']} is not defined (did its cell run without errors?)"})
            continue
        results = []
        for case in request["cases"]:
            args, kwargs = wire.decode(case["args"]), wire.decode(case["kwargs"])
            try:
                value = fn(*args, **kwargs)
                results.append({"value": wire.encode(value)})
            except NotImplementedError:
                results.append({"todo": True})
            except BaseException as exc:  # noqa: BLE001
                results.append({"error": _describe(exc)})
        send({"results": results})


if __name__ == "__main__":
    main()
