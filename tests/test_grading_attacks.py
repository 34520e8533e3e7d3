"""Hostile submissions, as real notebook files, graded together with honest ones in the sandbox;
and the self-test, which must pass with the sandbox and fail without it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from attacks.build import write_attacks, write_honest, write_submission

from nncourse.grading.attacks import ATTACKS
from nncourse.grading.gradebook import grade_many
from nncourse.grading.runner import Limits
from nncourse.grading.sandbox import sandbox_status
from nncourse.grading.selftest import leftover_processes, selftest

ROOT = Path(__file__).resolve().parent.parent
EXERCISE = "01_perceptron"
FAST = Limits(task_s=2.0, cell_s=3.0, submission_s=30.0)
needs_sandbox = pytest.mark.skipif(not sandbox_status()[0], reason=f"no sandbox here: {sandbox_status()[1]}")
QUICK = [  # attacks that finish fast (no loops until a deadline): the ones graded as files below
    "read the solutions (open, os.open, dir fd, FileIO) and run them",
    "disable the audit hook, then read the solutions and start a process",
    "write and append to the gradebook",
    "start processes (subprocess, posix_spawn, _posixsubprocess, os.system, ctypes, cffi)",
    "kill and stop a classmate (kill, killpg, pidfd_send_signal)",
    "prlimit the grader and a classmate",
    "network to loopback (socket, _socket, ctypes)",
    "memory through children",
    "disk outside scratch",
    "hang while messaging the grader",
    "kill the grader",
    "import the reference implementation",
]


def _own_cgroups() -> list[str]:
    found = []
    for base in ("/sys/fs/cgroup/memory", "/sys/fs/cgroup/pids", "/sys/fs/cgroup"):
        for folder, dirs, _ in os.walk(base):
            found += [d for d in dirs if d.startswith(f"nncourse-{os.getpid()}-")]
            if folder.count("/") > 6:
                dirs[:] = []
    return found


@needs_sandbox
def test_attack_files_score_zero_next_to_honest_ones_and_leave_nothing(tmp_path: Path):
    subs = tmp_path / "submissions"
    attacks = write_attacks(subs, EXERCISE, QUICK)
    honest = write_honest(subs, EXERCISE, "alice")
    partial = write_submission(
        subs, "bob", EXERCISE, ["def predict(X, w, b):\n    return (X @ w + b >= 0).astype(int)\n"]
    )
    out = tmp_path / "out"
    records = {Path(r["file"]): r for r in grade_many([subs], out, ROOT, limits=FAST, jobs=2, progress=False, seed=7)}
    assert records[honest]["score"] == 4.0 and records[partial]["score"] == 0.0
    for path, name in attacks.items():
        assert records[path]["score"] == 0.0 and records[path]["final"], (name, records[path])
    assert leftover_processes() == [] and _own_cgroups() == []
    first = (out / "grades.csv").read_text()
    again = {Path(r["file"]): r["score"] for r in grade_many([subs], out, ROOT, limits=FAST, jobs=2, progress=False)}
    assert again == {p: r["score"] for p, r in records.items()} and (out / "grades.csv").read_text() == first


@needs_sandbox
def test_selftest_passes_with_the_sandbox():
    lines: list[str] = []
    assert selftest(
        ROOT, [EXERCISE], limits=Limits(task_s=1.5, cell_s=3.0, submission_s=30.0), jobs=2, out=lines.append
    ), "\n".join(lines)
    assert len(lines) == 2 + len(ATTACKS)


def test_selftest_fails_without_the_sandbox():
    """Proof that the attacks are real: without the sandbox they read the solutions, write the
    gradebook, start processes and stop a classmate (only the self-test's bait is targeted)."""
    chosen = QUICK[:5]
    lines: list[str] = []
    assert not selftest(ROOT, [EXERCISE], limits=FAST, jobs=2, out=lines.append, sandboxed=False, attacks=chosen)
    text = "\n".join(lines)
    assert "FAIL 01_perceptron            attack: read the solutions" in text, text
    assert "bait gradebook's results.jsonl was changed" in text and "pwned-" in text, (
        text
    )  # which marker lands first depends on timing
    assert "a classmate's process was" in text, text
    assert leftover_processes() == []
