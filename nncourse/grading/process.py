"""Processes the grader talks to: the learner's worker and the reference server, each in its sandbox.

``Channel`` is the grader's side of one process: two pipes carrying one JSON message per line
(``wire.py``). Reads are buffered in linear time and bounded in size; every read takes an absolute
deadline that nothing the process sends can extend. ``close`` kills the process, every process it
started (its cgroup, pid namespace and process group) and removes its scratch folder.
"""

from __future__ import annotations

import atexit
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from nncourse.grading import wire
from nncourse.grading.sandbox import INSIDE, SCRATCH, Sandbox

if TYPE_CHECKING:
    from nncourse.grading.runner import Limits

HERE = Path(__file__).resolve().parent
NOBODY = 65534
STARTUP_MB = 1536  # memory a worker needs on top of the learner's share (Python, numpy, torch)
LIVE: set[Channel] = set()  # every open channel, so that an interruption can kill them all
STOP = threading.Event()  # set on Ctrl-C / SIGTERM: no new process starts, running ones are killed


class WorkerGone(RuntimeError):
    """The process died, broke the protocol or stopped answering in time."""


class Interrupted(RuntimeError):
    """The grader is stopping (Ctrl-C or SIGTERM): this submission's record is not kept."""


class Channel:
    """A process (sandboxed unless ``sandboxed`` is False) and its two pipes."""

    def __init__(
        self, argv: list[str], limits: Limits, sandboxed: bool, *, extra_binds: tuple[tuple[str, str], ...] = ()
    ) -> None:
        if STOP.is_set():
            raise Interrupted("the grader is stopping")
        self.limits = limits
        self._killed = False
        self.broken = False
        self.box: Sandbox | None = None
        self.scratch: str | None = None
        to_r, self._to = os.pipe()
        self._from, from_w = os.pipe()
        argv = [a.replace("{IN}", str(to_r)).replace("{OUT}", str(from_w)) for a in argv]
        env = {
            "PATH": "/usr/bin:/bin",
            "OMP_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
            "LANG": "C.UTF-8",
        }
        if sandboxed:
            memory = (limits.memory_mb + STARTUP_MB) << 20
            self.box = Sandbox.create(memory, limits.nproc, limits.disk_mb << 20)
            command, cwd = self.box.command(argv, extra_binds=extra_binds), "/"
            env["HOME"] = SCRATCH
        else:
            self.scratch = tempfile.mkdtemp(prefix="nncourse-grade-")
            if _can_drop_privileges():
                os.chown(self.scratch, NOBODY, NOBODY)
            command, cwd = argv, self.scratch
            env["HOME"] = self.scratch
        LIVE.add(self)
        try:
            self.proc = subprocess.Popen(
                command,
                pass_fds=(to_r, from_w),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=None if os.environ.get("NNCOURSE_WORKER_DEBUG") else subprocess.DEVNULL,
                start_new_session=True,
                env=env,
                cwd=cwd,
            )
        except BaseException:
            # No ``proc`` attribute is set here: ``close`` and ``killed`` read it with getattr(..., None).
            self.close()
            raise
        finally:
            os.close(to_r)
            os.close(from_w)
        self._buffer = bytearray()
        self._scanned = 0

    @property
    def scratch_inside(self) -> str:
        return SCRATCH if self.box is not None else str(self.scratch)

    def send(self, message: dict, deadline: float) -> None:
        """Write one message; a process that stops reading cannot block the grader past ``deadline``."""
        data = memoryview(wire.dumps(message))
        while data:
            left = deadline - time.monotonic()
            if left <= 0:
                raise WorkerGone("time limit exceeded (the worker stopped reading)")
            _, writable, _ = select.select([], [self._to], [], left)
            if writable:
                try:
                    data = data[os.write(self._to, data[:65536]) :]
                except OSError as exc:
                    raise WorkerGone(f"the worker stopped ({exc.strerror})") from exc

    def receive(self, deadline: float) -> dict:
        """The next message, by ``deadline`` (absolute, ``time.monotonic``); never longer than ``max_message``."""
        while True:
            end = self._buffer.find(b"\n", self._scanned)
            if end >= 0:
                line = bytes(self._buffer[:end])
                del self._buffer[: end + 1]
                self._scanned = 0
                try:
                    return wire.loads(line)
                except (ValueError, UnicodeDecodeError, RecursionError) as exc:
                    raise WorkerGone(f"unreadable reply ({str(exc)[:100]})") from exc
            self._scanned = len(self._buffer)
            if len(self._buffer) > self.limits.max_message:
                raise WorkerGone("reply too large")
            left = deadline - time.monotonic()
            if left <= 0:
                raise WorkerGone("time limit exceeded")
            ready, _, _ = select.select([self._from], [], [], left)
            if ready:
                chunk = os.read(self._from, 1 << 20)
                if not chunk:
                    raise WorkerGone(self._death())
                self._buffer += chunk

    def _death(self) -> str:
        try:
            code = self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return "the worker closed its channel"
        if self.box is not None and code > 128:  # bwrap reports a child killed by signal N as 128 + N
            code = -(code - 128)
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            hint = {
                "SIGXCPU": " (CPU time limit)",
                "SIGKILL": " (killed, e.g. memory)",
                "SIGXFSZ": " (file size limit)",
            }.get(name, "")
            return f"the worker was killed by {name}{hint}"
        return f"the worker exited with code {code} (e.g. sys.exit or os._exit in your code)"

    def killed_from_outside(self) -> bool:
        """The sandbox itself (bwrap, outside the learner's reach) died by a signal the grader did not send:
        an administrator, the system's OOM killer... not the learner's doing, so graded again later."""
        proc = getattr(self, "proc", None)
        return (
            self.box is not None
            and not self._killed
            and proc is not None
            and proc.poll() is not None
            and proc.returncode < 0
        )

    def kill(self) -> None:
        """Kill the process and all it started (its pipes stay open: the thread using them sees the end)."""
        self._killed = True
        proc = getattr(self, "proc", None)
        if proc is not None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if self.box is not None:
            self.box.kill_all(remove=False)

    def close(self) -> None:
        """Kill everything this process started, close the pipes, remove the scratch; idempotent."""
        self.kill()
        proc = getattr(self, "proc", None)
        if proc is not None:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        if self.box is not None:
            self.box.kill_all()
        for fd in (getattr(self, "_to", -1), getattr(self, "_from", -1)):
            try:
                os.close(fd)
            except OSError:
                pass
        self._to = self._from = -1
        if self.scratch is not None:
            subprocess.run(["rm", "-rf", "--one-file-system", self.scratch], check=False)
            self.scratch = None
        LIVE.discard(self)


def worker(config: dict, limits: Limits, sandboxed: bool, deadline: float) -> Channel:
    """Start a learner's worker and send it its configuration."""
    script = f"{INSIDE}/worker.py" if sandboxed else str(HERE / "worker.py")
    channel = Channel([sys.executable, "-I", script, "{IN}", "{OUT}"], limits, sandboxed)
    try:
        drop = None if sandboxed or not _can_drop_privileges() else NOBODY
        channel.send({**config, "scratch": channel.scratch_inside, "drop_to": drop}, deadline)
    except BaseException:
        channel.close()
        raise
    return channel


def reference_server(exercise_id: str, limits: Limits, sandboxed: bool) -> Channel:
    """A process that answers calls to the references of ``exercise_id`` (for substituted tasks).

    The learner's code chooses the inputs, so the reference runs under the same limits as the
    learner's code: in its own sandbox (the course package is visible there; no learner code is).
    """
    package = HERE.parent
    inside = f"{INSIDE}-ref"
    path = inside if sandboxed else str(package.parent)
    code = f"import sys; sys.path.insert(0, {path!r}); from nncourse.grading.refserver import main; main({exercise_id!r}, int(sys.argv[1]), int(sys.argv[2]))"
    binds = ((str(package), f"{inside}/nncourse"),) if sandboxed else ()
    return Channel([sys.executable, "-I", "-c", code, "{IN}", "{OUT}"], limits, sandboxed, extra_binds=binds)


_POOL: dict[tuple, Channel] = {}
_POOL_LOCK = threading.Lock()


def borrow_reference(exercise_id: str, limits: Limits, sandboxed: bool) -> tuple[Channel, float]:
    """A ready reference server for this thread (kept between submissions: it imports the course
    once), or a new one; returns it and the seconds spent starting it (0 when reused)."""
    key = (threading.get_ident(), exercise_id, sandboxed)
    with _POOL_LOCK:
        channel = _POOL.pop(key, None)
    if channel is not None and channel.proc.poll() is None and not channel.broken:
        return channel, 0.0
    if channel is not None:
        channel.close()
    began = time.monotonic()
    channel = reference_server(exercise_id, limits, sandboxed)
    try:
        channel.receive(began + 120.0)
    except BaseException:
        channel.close()
        raise
    return channel, time.monotonic() - began


def give_back_reference(channel: Channel, exercise_id: str, sandboxed: bool) -> None:
    """Keep a healthy reference server for the next submission of this thread; close a broken one."""
    if channel.broken or channel._buffer or STOP.is_set() or channel.proc.poll() is not None:
        channel.close()
        return
    with _POOL_LOCK:
        old = _POOL.pop((threading.get_ident(), exercise_id, sandboxed), None)
        _POOL[(threading.get_ident(), exercise_id, sandboxed)] = channel
    if old is not None:
        old.close()


def close_reference_pool() -> None:
    with _POOL_LOCK:
        channels = list(_POOL.values())
        _POOL.clear()
    for channel in channels:
        channel.close()


atexit.register(close_reference_pool)


def stop_all() -> None:
    """Ctrl-C / SIGTERM: start no more processes and kill every running one (their threads clean up)."""
    STOP.set()
    for channel in list(LIVE):
        channel.kill()


def _can_drop_privileges() -> bool:
    """Without the sandbox, root drops to 'nobody' only when nobody can still read the Python installation."""
    if os.getuid() != 0:
        return False
    import numpy

    for path in (os.path.dirname(os.__file__), os.path.dirname(numpy.__file__), os.path.dirname(sys.executable)):
        while path and path != "/":
            if not os.stat(path).st_mode & 0o005:
                return False
            path = os.path.dirname(path)
    return True
