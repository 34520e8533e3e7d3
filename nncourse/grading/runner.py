"""Run one submission's answer cells in a worker process and grade its tasks, task by task.

``grade_answers`` is the whole protocol: start a worker, watch it execute the answer cells (a
cell that kills or hangs the worker is dropped and the worker restarted), then for each task send
the cases' inputs, wait at most the task's time limit, decode the plain-data results and compare
them here, in the trusted process, with the reference. A task that crashes or hangs the worker
scores 0; the worker is restarted and, from then on, every call to a failed task's function is
answered by the reference (through a callback to this process), so later tasks that build on it
are still graded fairly.
"""
from __future__ import annotations

import copy
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy

from nncourse.checks import Case, Exercise, Task
from nncourse.grading import wire

WORKER = Path(__file__).with_name("worker.py")
PACKAGE_DIR = Path(__file__).resolve().parent.parent
NOBODY = 65534


@dataclass
class Limits:
    """Per-submission resource limits."""

    task_s: float = 10.0  # wall clock per task (all its cases)
    cell_s: float = 10.0  # wall clock per answer cell
    submission_s: float = 60.0  # wall clock for the whole submission
    cpu_s: int = 60  # CPU seconds of one worker process
    memory_mb: int = 1024  # extra address space beyond the worker's start-up size
    output_bytes: int = 1_000_000  # largest file the worker may write
    nproc: int = 64  # processes (applies when not running as root)
    max_message: int = 64 * 1024 * 1024  # largest reply accepted from a worker


@dataclass
class TaskResult:
    name: str
    points: float
    max_points: float
    status: str  # "pass", "fail", "todo", "crash", "timeout", "missing"
    message: str
    cases_passed: int = 0
    cases: int = 0


@dataclass
class RunReport:
    tasks: list[TaskResult]
    cell_errors: list[str] = field(default_factory=list)
    restarts: int = 0


class WorkerGone(RuntimeError):
    """The worker died or stopped answering in time."""


class Worker:
    """One worker process, in its own process group, with a scratch folder and pipes."""

    def __init__(self, config: dict, limits: Limits, scratch_root: Path | None = None) -> None:
        self.limits = limits
        self.scratch = tempfile.mkdtemp(prefix="nncourse-grade-", dir=scratch_root)
        self.drop = _can_drop_privileges()
        if self.drop:
            os.chown(self.scratch, NOBODY, NOBODY)
        to_worker_r, self._to_worker = os.pipe()
        self._from_worker, from_worker_w = os.pipe()
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "HOME": self.scratch}
        self.proc = subprocess.Popen(
            [sys.executable, "-I", str(WORKER), str(to_worker_r), str(from_worker_w)],
            pass_fds=(to_worker_r, from_worker_w), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True, env=env, cwd=self.scratch,
        )
        os.close(to_worker_r)
        os.close(from_worker_w)
        self._buffer = b""
        self.send({**config, "scratch": self.scratch, "drop_to": NOBODY if self.drop else None})

    def send(self, message: dict, timeout: float = 30.0) -> None:
        """Write one message; a worker that stops reading cannot block the grader past ``timeout``."""
        data, deadline = memoryview(wire.dumps(message)), time.monotonic() + timeout
        while data:
            left = deadline - time.monotonic()
            if left <= 0:
                raise WorkerGone("time limit exceeded (the worker stopped reading)")
            _, writable, _ = select.select([], [self._to_worker], [], left)
            if not writable:
                continue
            try:
                written = os.write(self._to_worker, data[:65536])
            except OSError as exc:
                raise WorkerGone(f"the worker stopped ({exc.strerror})") from exc
            data = data[written:]

    def receive(self, deadline: float) -> dict:
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise WorkerGone("time limit exceeded")
            ready, _, _ = select.select([self._from_worker], [], [], left)
            if not ready:
                continue
            chunk = os.read(self._from_worker, 1 << 20)
            if not chunk:
                raise WorkerGone(self._death())
            self._buffer += chunk
            if len(self._buffer) > self.limits.max_message:
                raise WorkerGone("reply too large")
        line, self._buffer = self._buffer.split(b"\n", 1)
        try:
            return wire.loads(line)
        except (ValueError, UnicodeDecodeError) as exc:
            raise WorkerGone(f"unreadable reply ({exc})") from exc

    def _death(self) -> str:
        try:
            code = self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return "the worker closed its channel"
        if code < 0:
            name = signal.Signals(-code).name
            hint = {"SIGXCPU": " (CPU time limit)", "SIGKILL": " (killed, e.g. memory)", "SIGXFSZ": " (file size limit)"}.get(name, "")
            return f"the worker was killed by {name}{hint}"
        return f"the worker exited with code {code} (e.g. sys.exit or os._exit in your code)"

    def close(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        for fd in (self._to_worker, self._from_worker):
            try:
                os.close(fd)
            except OSError:
                pass
        subprocess.run(["rm", "-rf", self.scratch], check=False)


def _protected(course_root: Path | None, extra: tuple[Path, ...] = ()) -> list[str]:
    """Folders the learner's code may not open: the package (references, task cases), the course's
    solutions and tests, its git history, and the grader's output folder."""
    paths = [str(PACKAGE_DIR), *map(str, extra)]
    if course_root is not None:
        paths += [str(Path(course_root) / name) for name in ("solutions", "tests", ".git", "nncourse")]
    return paths


def _can_drop_privileges() -> bool:
    """Dropping root to 'nobody' only works when nobody can still read the Python installation and numpy."""
    if os.getuid() != 0:
        return False
    for path in (os.path.dirname(os.__file__), os.path.dirname(numpy.__file__), os.path.dirname(sys.executable)):
        while path and path != "/":
            if not os.stat(path).st_mode & 0o005:  # others may not read/enter it
                return False
            path = os.path.dirname(path)
    return True


def _score(task: Task, cases: list[Case], results: list[dict]) -> TaskResult:
    passed, first_problem = 0, ""
    for case, result in zip(cases, results):
        if "todo" in result:
            return TaskResult(task.name, 0.0, task.points, "todo", "not implemented yet", 0, len(cases))
        if "error" in result:
            problem = f"your code raised {result['error']}"
        else:
            try:
                problem = task.check_one(case, wire.decode(result["value"])) or ""
            except wire.WireError as exc:
                problem = f"returned something that is not plain data ({exc})"
            except Exception as exc:  # noqa: BLE001 - a malformed value must not crash the grader
                problem = f"returned a value that could not be compared ({type(exc).__name__})"
        if problem:
            first_problem = first_problem or f"case '{case.label}': {problem}" + (f" (hint: {case.hint})" if case.hint else "")
        else:
            passed += 1
    if passed == len(cases):  # a task scores when every grading case passes: a constant answer that
        return TaskResult(task.name, float(task.points), task.points, "pass", f"all {len(cases)} cases pass", passed, len(cases))
    # happens to fit one case earns nothing; the message still says how many cases passed
    return TaskResult(task.name, 0.0, task.points, "fail", f"{passed}/{len(cases)} cases pass; first problem: {first_problem}", passed, len(cases))


def _callback(exercise: Exercise, message: dict, allowed: set[str]) -> dict:
    name = message.get("callback")
    if name not in allowed:
        return {"error": f"{name} is not available"}
    try:
        args, kwargs = wire.decode(message["args"]), wire.decode(message["kwargs"])
        if not isinstance(args, list) or not isinstance(kwargs, dict):
            raise wire.WireError("bad call")
        value = exercise.task(name).reference(*args, **kwargs)
        return {"value": wire.encode(value)}
    except Exception as exc:  # noqa: BLE001 - the learner sent bad arguments to a substitute
        return {"error": f"{type(exc).__name__}: {exc}"}


def grade_answers(
    exercise: Exercise, cells: list[str], *, public: bool = False, limits: Limits | None = None,
    course_root: Path | None = None, extra_protected: tuple[Path, ...] = (), prelude: str = "",
) -> RunReport:
    """Grade a submission given as its answer cells' sources (in notebook order).

    ``prelude``: trusted code run before the answers, after ``exercise.prelude`` (see
    ``submission.course_prelude``).
    """
    limits = limits or Limits()
    start = time.monotonic()
    results: dict[str, TaskResult] = {}
    dropped: set[int] = set()
    substituted: set[str] = set()
    cell_errors: list[str] = []
    restarts = -1
    pending = [t for t in exercise.tasks]
    while pending:
        restarts += 1
        if restarts > len(cells) + len(exercise.tasks) + 2 or time.monotonic() - start > limits.submission_s:
            for task in pending:
                results[task.name] = TaskResult(task.name, 0.0, task.points, "timeout", "not graded: the submission used up its time limit")
            break
        live = [c if i not in dropped else "" for i, c in enumerate(cells)]
        config = {
            "imports": list(exercise.imports), "prelude": exercise.prelude + prelude, "cells": live, "protected": _protected(course_root, extra_protected),
            "proxies": sorted(substituted), "limits": {"memory_mb": limits.memory_mb, "cpu_s": limits.cpu_s, "output_bytes": limits.output_bytes, "nproc": limits.nproc},
        }
        worker = Worker(config, limits)
        try:
            current = None
            try:
                while True:  # boot: one message per cell, then "ready"
                    message = worker.receive(time.monotonic() + (limits.cell_s if current is not None else 30.0))
                    if "ready" in message:
                        break
                    current = message.get("cell")
                    if message.get("ok") is False and restarts == 0:
                        cell_errors.append(f"answer cell {current + 1}: {message.get('error', '')}")
            except WorkerGone as exc:
                if current is None:
                    raise RuntimeError(f"the grading worker could not start: {exc}") from exc
                dropped.add(current)
                cell_errors.append(f"answer cell {current + 1} stopped the worker ({exc}); it was skipped")
                continue
            while pending:
                task = pending[0]
                cases = task.public_cases() if public else task.grading_cases()
                request = {"call": task.name, "cases": [{"args": wire.encode(list(copy.deepcopy(c.args))), "kwargs": wire.encode(copy.deepcopy(c.kwargs))} for c in cases]}
                deadline = min(time.monotonic() + limits.task_s, start + limits.submission_s)
                try:
                    worker.send(request)
                    while True:
                        message = worker.receive(deadline)
                        if "callback" in message:
                            worker.send(_callback(exercise, message, substituted))
                            continue
                        break
                except WorkerGone as exc:
                    status = "timeout" if "time limit" in str(exc) else "crash"
                    results[task.name] = TaskResult(task.name, 0.0, task.points, status, f"{exc}; the worker was restarted", 0, len(cases))
                    pending.pop(0)
                    if task.substitutable:
                        substituted.add(task.name)
                    break
                pending.pop(0)
                if message.get("results") is None or len(message["results"]) != len(cases):
                    results[task.name] = TaskResult(task.name, 0.0, task.points, "missing", message.get("error", "no results"), 0, len(cases))
                else:
                    results[task.name] = _score(task, cases, message["results"])
                if results[task.name].status != "pass" and task.substitutable:
                    substituted.add(task.name)
                    worker.send({"proxy": task.name})
        finally:
            worker.close()
    return RunReport([results[t.name] for t in exercise.tasks], cell_errors, max(restarts, 0))
