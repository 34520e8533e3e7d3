"""Run one submission's answer cells in a worker process and grade its tasks, task by task.

``grade_answers`` is the whole protocol: start a worker (in its sandbox, ``sandbox.py``), watch it
execute the answer cells in order, each by its own deadline (a cell that kills, hangs or breaks
the protocol is dropped and the worker restarted), then for each task send the cases' inputs
(grading cases drawn from the gradebook's seed), wait until the task's absolute deadline, decode
the plain-data results and compare them here, in the trusted process, with the reference. A task
that crashes or hangs the worker scores 0; the worker is restarted and, from then on, every call
to a failed task's function is answered by the reference, computed by a reference server in a
sandbox of its own (the arguments are the learner's), so later tasks that build on it are still
graded fairly. Nothing the worker sends extends a deadline.
"""

from __future__ import annotations

import copy
import inspect
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nncourse.checks import Case, Exercise, Task
from nncourse.grading import process, wire
from nncourse.grading.process import STOP, Channel, Interrupted, WorkerGone

PACKAGE_DIR = Path(__file__).resolve().parent.parent


@dataclass
class Limits:
    """Per-submission resource limits."""

    task_s: float = 10.0  # wall clock per task (all its cases)
    cell_s: float = 10.0  # wall clock per answer cell
    submission_s: float = 60.0  # wall clock for the whole submission
    cpu_s: int = 60  # CPU seconds of one worker process
    memory_mb: int = 1024  # extra address space beyond the worker's start-up size
    output_bytes: int = 1_000_000  # largest file the worker may write
    nproc: int = 64  # processes and threads of one submission (cgroup, and per uid in the sandbox)
    disk_mb: int = 64  # size of the worker's private /scratch and /tmp (each)
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


def _protected(course_root: Path | None, extra: tuple[Path, ...] = ()) -> list[str]:
    """Folders the learner's code may not open: the package (references, task cases), the course's
    solutions and tests, its git history, and the grader's output folder."""
    paths = [str(PACKAGE_DIR), *map(str, extra)]
    if course_root is not None:
        paths += [str(Path(course_root) / name) for name in ("solutions", "tests", ".git", "nncourse")]
    return paths


def _score(task: Task, cases: list[Case], results: list, policy: str = "all") -> TaskResult:
    """Compare each case's result with the reference. ``policy``: "all" (a task scores only when every
    grading case passes) or "per-case" (its points times the fraction of cases that pass)."""
    passed, first_problem = 0, ""
    for case, result in zip(cases, results, strict=False):
        if type(result) is not dict or not ({"todo", "error", "value"} & set(result)):
            result = {"error": "a malformed reply (not a result)"}
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
            first_problem = first_problem or f"case '{case.label}': {problem}" + (
                f" (hint: {case.hint})" if case.hint else ""
            )
        else:
            passed += 1
    if passed == len(cases):
        return TaskResult(
            task.name, float(task.points), task.points, "pass", f"all {len(cases)} cases pass", passed, len(cases)
        )
    # under "all", a constant answer that happens to fit one case earns nothing
    points = round(task.points * passed / len(cases), 4) if policy == "per-case" and cases else 0.0
    return TaskResult(
        task.name,
        points,
        task.points,
        "fail",
        f"{passed}/{len(cases)} cases pass; first problem: {first_problem}",
        passed,
        len(cases),
    )


def cases_for(task: Task, public: bool, seed: int | None) -> list[Case]:
    """The task's public cases, or its grading cases drawn from ``seed`` (None: the task's default)."""
    if public:
        return task.public_cases()
    if seed is not None and _takes_seed(task.grading_cases):
        return task.grading_cases(task_seed(seed, task.name))
    return task.grading_cases()


def task_seed(seed: int, task_name: str) -> int:
    """One task's seed, from the gradebook's seed and the task's name (tasks get different draws)."""
    return (int(seed) * 1_000_003 + zlib.crc32(task_name.encode())) % 2**31


def _takes_seed(fn: Callable[..., Any]) -> bool:
    try:
        return len(inspect.signature(fn).parameters) >= 1
    except (TypeError, ValueError):
        return False


class _Boot:
    """Watches the worker run the answer cells: messages must come in order, each cell has its own deadline."""

    def __init__(self, n_cells: int) -> None:
        self.n_cells, self.current, self.started = n_cells, -1, False
        self.errors: list[str] = []

    def run(self, channel: Channel, limits: Limits, end: float) -> None:
        deadline = min(time.monotonic() + 60.0, end)  # imports and the course prelude
        while True:
            message = channel.receive(deadline)
            if "ready" in message and self.current == self.n_cells - 1 and not self.started:
                return
            cell = message.get("cell")
            if message.get("start") is True and cell == self.current + 1 and not self.started and cell < self.n_cells:
                self.current, self.started = cell, True
                deadline = min(time.monotonic() + limits.cell_s, end)
            elif message.get("ok") in (True, False) and cell == self.current and self.started:
                self.started = False
                if message["ok"] is False:
                    self.errors.append(f"answer cell {cell + 1}: {str(message.get('error', ''))[:500]}")
                deadline = min(time.monotonic() + 5.0, end)  # the next cell's start or "ready" is immediate
            else:
                raise WorkerGone("the worker sent a message out of order")


def grade_answers(
    exercise: Exercise,
    cells: list[str],
    *,
    public: bool = False,
    limits: Limits | None = None,
    course_root: Path | None = None,
    extra_protected: tuple[Path, ...] = (),
    prelude: str = "",
    sandboxed: bool = True,
    seed: int | None = None,
    policy: str = "all",
) -> RunReport:
    """Grade a submission given as its answer cells' sources (in notebook order).

    ``prelude``: trusted code run before the answers, after ``exercise.prelude`` (see
    ``submission.course_prelude``). ``sandboxed=False`` runs the learner's code with the grader's
    own rights (only an audit hook and resource limits): for a learner checking their own work.
    ``seed`` draws the grading cases; ``policy`` is "all" or "per-case" (see ``_score``).
    """
    limits = limits or Limits()
    start = time.monotonic()
    end = start + limits.submission_s  # absolute: nothing the worker sends moves it
    results: dict[str, TaskResult] = {}
    dropped: set[int] = set()
    substituted: set[str] = set()
    cell_errors: list[str] = []
    restarts = -1
    pending = list(exercise.tasks)
    reference: Channel | None = None
    errors_kept = False
    try:
        while pending:
            if STOP.is_set():
                raise Interrupted("the grader is stopping")
            restarts += 1
            if restarts > len(cells) + len(exercise.tasks) + 2 or time.monotonic() >= end:
                for task in pending:
                    results[task.name] = TaskResult(
                        task.name, 0.0, task.points, "timeout", "not graded: the submission used up its time limit"
                    )
                break
            live = [c if i not in dropped else "" for i, c in enumerate(cells)]
            config = {
                "imports": list(exercise.imports),
                "prelude": exercise.prelude + prelude,
                "cells": live,
                "protected": _protected(course_root, extra_protected),
                "proxies": sorted(substituted),
                "limits": {
                    "memory_mb": limits.memory_mb,
                    "cpu_s": limits.cpu_s,
                    "output_bytes": limits.output_bytes,
                    "nproc": limits.nproc,
                },
            }
            worker = process.worker(config, limits, sandboxed, min(time.monotonic() + 30.0, end))
            try:
                boot = _Boot(len(live))
                try:
                    boot.run(worker, limits, end)
                except WorkerGone as exc:
                    if STOP.is_set():
                        raise Interrupted("the grader is stopping") from exc
                    if boot.current < 0:  # before any learner code: the imports or the prelude failed
                        if time.monotonic() >= end:
                            continue
                        raise RuntimeError(f"the grading worker could not start: {exc}") from exc
                    dropped.add(boot.current)
                    cell_errors.append(f"answer cell {boot.current + 1} stopped the worker ({exc}); it was skipped")
                    continue
                if not errors_kept:
                    cell_errors[:0] = boot.errors
                    errors_kept = True
                while pending:
                    task = pending[0]
                    if substituted and reference is None:  # the reference server's start-up is not the learner's time
                        reference, spent = process.borrow_reference(exercise.id, limits, sandboxed)
                        end += spent
                    cases = cases_for(task, public, seed)
                    request = {
                        "call": task.name,
                        "cases": [
                            {
                                "args": wire.encode(list(copy.deepcopy(c.args))),
                                "kwargs": wire.encode(copy.deepcopy(c.kwargs)),
                            }
                            for c in cases
                        ],
                    }
                    deadline = min(time.monotonic() + limits.task_s, end)
                    try:
                        worker.send(request, deadline)
                        while True:
                            message = worker.receive(deadline)
                            if "callback" not in message:
                                break
                            worker.send(_callback(reference, message, substituted, deadline), deadline)
                    except WorkerGone as exc:
                        if STOP.is_set():
                            raise Interrupted("the grader is stopping") from exc
                        status = (
                            "timeout"
                            if "time limit" in str(exc)
                            else ("killed" if worker.killed_from_outside() else "crash")
                        )
                        results[task.name] = TaskResult(
                            task.name, 0.0, task.points, status, f"{exc}; the worker was restarted", 0, len(cases)
                        )
                        pending.pop(0)
                        if task.substitutable:
                            substituted.add(task.name)
                        break
                    pending.pop(0)
                    replies = message.get("results")
                    if type(replies) is not list or len(replies) != len(cases):
                        results[task.name] = TaskResult(
                            task.name,
                            0.0,
                            task.points,
                            "missing",
                            str(message.get("error", "no results"))[:500],
                            0,
                            len(cases),
                        )
                    else:
                        results[task.name] = _score(task, cases, replies, policy)
                    if results[task.name].status != "pass" and task.substitutable:
                        substituted.add(task.name)
                        try:
                            worker.send({"proxy": task.name}, min(time.monotonic() + 5.0, end))
                        except WorkerGone:
                            break
            finally:
                worker.close()
    finally:
        if reference is not None:
            process.give_back_reference(reference, exercise.id, sandboxed)
    return RunReport([results[t.name] for t in exercise.tasks], cell_errors, max(restarts, 0))


def _callback(reference: Channel | None, message: dict, allowed: set[str], deadline: float) -> dict:
    """Answer a worker's call to a substituted task with the reference, computed by the reference server."""
    name = message.get("callback")
    if name not in allowed or reference is None:
        return {"error": f"{name} is not available"}
    try:
        reference.send({"call": name, "args": message.get("args"), "kwargs": message.get("kwargs")}, deadline)
        reply = reference.receive(deadline)
    except WorkerGone as exc:
        reference.broken = True
        raise WorkerGone(f"time limit exceeded (a substituted reference call: {exc})") from exc
    return {"value": reply["value"]} if "value" in reply else {"error": str(reply.get("error", "failed"))[:500]}
