"""``nncourse grade --selftest``: the solution scores 100%, the blank release 0%, every attack 0%,
and the host is unharmed. Run without the sandbox it must FAIL: that proves the attacks are real.

The bait the attacks aim at (``/tmp/nncourse-selftest-*/bait``): a fake gradebook
(``results.jsonl``, ``grades.csv``), a "classmate" process (``classmate.pid``), the grader's pid
(``grader.pid``) and a loopback listener (``port``). After the runs the self-test checks: the
gradebook unchanged, no file written there, the classmate alive, not stopped and with its limits,
the grader's own limits unchanged, no connection received, no process of any attack left
(any found is reported and killed), each run finished within its time limit.
"""

from __future__ import annotations

import os
import resource
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nncourse.grading.attacks import ATTACKS, MARKER

if TYPE_CHECKING:
    from nncourse.checks import Exercise
    from nncourse.grading.runner import Limits, RunReport

CANARY = "canary\n"


class Bait:
    """The self-test's targets; ``problems()`` lists every harm done to them."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="nncourse-selftest-"))
        self.dir = self.root / "bait"
        self.dir.mkdir()
        self.dir.chmod(0o777)
        for name in ("results.jsonl", "grades.csv"):
            (self.dir / name).write_text(CANARY)
        self.classmate = subprocess.Popen(
            ["sleep", "600"],
            start_new_session=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.listener.setblocking(False)
        for name, value in (
            ("classmate.pid", self.classmate.pid),
            ("grader.pid", os.getpid()),
            ("port", self.listener.getsockname()[1]),
        ):
            (self.dir / name).write_text(f"{value}\n")
        self.classmate_limits = self._limits(self.classmate.pid)
        self.own_limits = [resource.getrlimit(r) for r in (resource.RLIMIT_NOFILE, resource.RLIMIT_AS)]
        self.files = {p.name for p in self.dir.iterdir()}

    @staticmethod
    def _limits(pid: int) -> str:
        try:
            return Path(f"/proc/{pid}/limits").read_text()
        except OSError:
            return ""

    def problems(self) -> list[str]:
        found = []
        for name in ("results.jsonl", "grades.csv"):
            if (self.dir / name).read_text() != CANARY:
                found.append(f"the bait gradebook's {name} was changed")
        extra = sorted({p.name for p in self.dir.iterdir()} - self.files)
        if extra:
            found.append(f"files were written next to the bait gradebook: {extra}")
        if os.path.exists("/tmp/nncourse-attack-fill"):
            found.append("a file was written outside the scratch folder (/tmp/nncourse-attack-fill)")
            os.remove("/tmp/nncourse-attack-fill")
        if self.classmate.poll() is not None:
            found.append("a classmate's process was killed")
        elif _state(self.classmate.pid) in ("T", "t"):
            found.append("a classmate's process was stopped")
        if self._limits(self.classmate.pid) not in ("", self.classmate_limits):
            found.append("a classmate's resource limits were changed")
        if [resource.getrlimit(r) for r in (resource.RLIMIT_NOFILE, resource.RLIMIT_AS)] != self.own_limits:
            found.append("the grader's own resource limits were changed")
        try:
            connection, _ = self.listener.accept()
            connection.close()
            found.append("a submission connected to a loopback port")
        except BlockingIOError:
            pass
        left = leftover_processes()
        if left:
            found.append(f"{len(left)} processes started by submissions were still running (now killed)")
        return found

    def close(self) -> None:
        for pid in leftover_processes():
            _kill(pid)
        self.classmate.kill()
        self.classmate.wait()
        self.listener.close()
        shutil.rmtree(self.root, ignore_errors=True)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return ""


def _kill(pid: int) -> None:
    try:
        os.kill(pid, 9)
    except (ProcessLookupError, PermissionError):
        pass


def leftover_processes() -> list[int]:
    """Pids of processes whose command line carries the attacks' marker (none may survive a run)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                if MARKER.encode() in Path(f"/proc/{entry}/cmdline").read_bytes():
                    found.append(int(entry))
            except OSError:
                continue
    return found


def selftest(
    course_root: Path,
    exercise_ids: list[str],
    limits: Limits | None = None,
    jobs: int = 2,
    out: Callable[[str], object] = print,
    sandboxed: bool = True,
    attacks: list[str] | None = None,
) -> bool:
    """For every exercise: the solution scores 100%, the blank release 0%, every attack 0%, the host unharmed."""
    from nncourse.checks import get_exercise
    from nncourse.grading.runner import Limits, grade_answers
    from nncourse.grading.submission import (
        answer_cell_indices,
        course_prelude,
        solution_notebook,
    )
    from nncourse.release import release_notebook

    limits = limits or Limits(task_s=3.0, submission_s=60.0)
    chosen = {name: ATTACKS[name] for name in (attacks or ATTACKS)}
    ok = True
    bait = Bait()
    try:
        for exercise_id in exercise_ids:
            exercise = get_exercise(exercise_id)
            solution = solution_notebook(course_root, exercise_id)
            indices = answer_cell_indices(solution)
            blank = release_notebook(solution)
            names = [t.name for t in exercise.tasks]
            total = sum(t.points for t in exercise.tasks)
            runs = {
                "solution": [solution.cells[i].source for i in indices],
                "blank release": [blank.cells[i].source for i in indices],
            }
            runs.update({f"attack: {name}": make(names) for name, make in chosen.items()})

            def run(
                key: str, exercise: Exercise = exercise, runs: dict[str, list[str]] = runs, solution: Any = solution
            ) -> tuple[str, float, RunReport | str, float]:
                began = time.monotonic()
                try:
                    report = grade_answers(
                        exercise,
                        runs[key],
                        limits=limits,
                        course_root=Path(course_root),
                        extra_protected=(bait.root,),
                        prelude=course_prelude(solution),
                        sandboxed=sandboxed,
                        seed=12345,
                    )
                except Exception as exc:  # noqa: BLE001 - the grader itself broke: a failure to report
                    return (
                        key,
                        float("nan"),
                        f"the grader failed: {type(exc).__name__}: {exc}",
                        time.monotonic() - began,
                    )
                return key, sum(t.points for t in report.tasks), report, time.monotonic() - began

            with ThreadPoolExecutor(max_workers=jobs) as pool:
                for key, score, report, seconds in pool.map(run, runs):
                    expected = total if key == "solution" else 0.0
                    slow = seconds > limits.submission_s + 30
                    good = abs(score - expected) < 1e-9 and not slow
                    ok &= good
                    if isinstance(report, str):
                        detail = " <-- " + report[:160]
                    else:
                        detail = (
                            ""
                            if good
                            else " <-- "
                            + ("took too long; " if slow else "")
                            + "; ".join(f"{t.name}: {t.status} {t.message[:80]}" for t in report.tasks)
                        )
                    out(f"{'ok  ' if good else 'FAIL'} {exercise_id:<24} {key[:80]:<80} {score:g}/{total:g}{detail}")
        for problem in bait.problems():
            out(f"FAIL the host was harmed: {problem}")
            ok = False
    finally:
        bait.close()
    return ok
