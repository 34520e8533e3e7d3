"""The gradebook: honest resumes, safe reading of submission files, neutralised reports, settings
recorded, per-case credit, and a prompt, clean stop on SIGTERM."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from attacks.build import write_honest, write_submission

from nncourse.checks import EXERCISES, get_exercise
from nncourse.commands.cli import main
from nncourse.grading.gradebook import grade_many, load_results
from nncourse.grading.runner import Limits, cases_for
from nncourse.grading.sandbox import sandbox_status
from nncourse.grading.submission import answer_cell_indices, read_submission, solution_notebook

ROOT = Path(__file__).resolve().parent.parent
EXERCISE = "01_perceptron"
FAST = Limits(task_s=3.0, cell_s=3.0, submission_s=30.0)
SANDBOXED = sandbox_status()[0]
UNSAFE = [] if SANDBOXED else ["--unsafe-no-sandbox"]
SOLUTION = solution_notebook(ROOT, EXERCISE)
GOOD = [SOLUTION.cells[i].source for i in answer_cell_indices(SOLUTION)]
WRONG_PREDICT = "def predict(X, w, b):\n    return (X @ w + b >= 0).astype(int)\n"


def _grade(subs: Path, out: Path, **kwargs) -> list[dict]:
    return grade_many([subs], out, ROOT, limits=FAST, jobs=2, progress=False, sandboxed=SANDBOXED, **kwargs)


def test_torn_lines_and_unfinished_records_are_graded_again_and_good_grades_never_change(tmp_path: Path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    honest = write_honest(subs, EXERCISE, "alice")
    partial = write_submission(subs, "bob", EXERCISE, [WRONG_PREDICT, *GOOD[1:]])
    first = {r["file"]: r["score"] for r in _grade(subs, out)}
    assert first == {str(honest): 4.0, str(partial): 3.0}
    lines = (out / "results.jsonl").read_text().splitlines()
    by_file = {json.loads(line)["file"]: json.loads(line) for line in lines}
    broken = {
        **by_file[str(honest)],
        "score": 0.0,
        "final": False,
        "internal_error": True,
        "error": "internal grader error (X)",
    }
    # a record that ended in a grader error, then a torn line with no newline at the end
    (out / "results.jsonl").write_text(
        json.dumps(by_file[str(partial)]) + "\n" + json.dumps(broken) + "\n" + lines[0][:25]
    )
    again = {r["file"]: r["score"] for r in _grade(subs, out)}
    assert again == first
    records = load_results(out / "results.jsonl")
    assert [r["file"] for r in records].count(str(honest)) == 2  # the broken one, then a new final grade
    assert len(records) == 3 and sum(1 for line in (out / "results.jsonl").read_bytes().split(b"\n") if line) == 4


def test_load_results_skips_garbage_without_recursion_errors(tmp_path: Path):
    path = tmp_path / "results.jsonl"
    good = {"file": "a.ipynb", "tasks": [], "score": 1.0}
    path.write_bytes(
        b"[" * 100_000
        + b"\n"
        + b'{"file": 1}\n'
        + json.dumps(good).encode()
        + b"\n\xff\xfe\n"
        + b'{"file": "b", "tasks"'
    )
    assert load_results(path) == [good]


def test_unsafe_and_hostile_files_are_recorded_one_by_one_and_the_run_goes_on(tmp_path: Path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    honest = write_honest(subs, EXERCISE, "alice")
    (subs / "link_01_perceptron.ipynb").symlink_to(honest)
    os.mkfifo(subs / "fifo_01_perceptron.ipynb")
    (subs / "deep_01_perceptron.ipynb").write_text('{"cells": ' + "[" * 100_000 + "]" * 100_000 + "}")  # 200 kB
    (subs / "folder_01_perceptron.ipynb").mkdir()
    records = {Path(r["file"]).name: r for r in _grade(subs, out)}
    assert records[honest.name]["score"] == 4.0
    assert "symbolic link" in records["link_01_perceptron.ipynb"]["error"]
    assert "not a regular file" in records["fifo_01_perceptron.ipynb"]["error"]
    assert "levels deep" in records["deep_01_perceptron.ipynb"]["error"]
    assert len(list(csv.DictReader((out / "grades.csv").open()))) == 4


def test_reports_neutralise_formulas_and_markdown_and_give_every_submission_its_own_slot(tmp_path: Path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    write_submission(subs, "=HYPERLINK(1)", EXERCISE, ["raise ValueError('x\\n# Forged heading\\n| a | b |')"])
    write_submission(subs, "a b", EXERCISE, [])
    write_submission(subs, "a_b", EXERCISE, [])
    _grade(subs, out, policy="per-case")
    rows = list(csv.reader((out / "grades.csv").open()))
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    assert any(row[0] == "'=HYPERLINK(1)" for row in rows)
    feedback = sorted((out / "feedback").iterdir())
    assert len(feedback) == 3 and len(list((out / "gradescope").iterdir())) == 3
    assert all(not line.startswith("# Forged") for f in feedback for line in f.read_text().splitlines())
    summary = list(csv.DictReader((out / "summary.csv").open()))
    assert {r["task"] for r in summary} == {"predict", "update", "train_perceptron", "total"} and (
        out / f"grades_{EXERCISE}.csv"
    ).exists()


def test_seed_is_recorded_draws_other_cases_and_cannot_change_for_a_gradebook(tmp_path: Path, capsys):
    task = get_exercise(EXERCISE).task("predict")

    def drawn(public: bool, seed: int) -> str:
        return repr([case.args for case in cases_for(task, public, seed)])

    assert drawn(False, 1) != drawn(False, 2)  # grading cases depend on the seed
    assert drawn(True, 1) == drawn(True, 2)  # public cases stay fixed
    subs, out = tmp_path / "subs", tmp_path / "out"
    write_honest(subs, EXERCISE, "alice")
    assert main(["grade", str(subs), "--out", str(out), "--seed", "5", *UNSAFE]) == 0
    assert json.loads((out / "grading.json").read_text())["seed"] == 5
    assert main(["grade", str(subs), "--out", str(out), "--seed", "6", *UNSAFE]) == 2
    assert "graded with seed 5" in capsys.readouterr().err


def test_per_case_policy_gives_partial_credit(tmp_path: Path):
    subs = tmp_path / "subs"
    write_submission(subs, "carol", EXERCISE, [WRONG_PREDICT, *GOOD[1:]])
    record = _grade(subs, tmp_path / "out", policy="per-case")[0]
    predict = record["tasks"][0]
    assert 0 < predict["points"] < 1 and predict["points"] == pytest.approx(predict["cases_passed"] / predict["cases"])


def test_missing_path_and_empty_folder_are_clear_errors(tmp_path: Path, capsys):
    assert main(["grade", str(tmp_path / "nope"), "--out", str(tmp_path / "out"), *UNSAFE]) == 2
    assert "no such file or folder" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["grade", str(tmp_path / "empty"), "--out", str(tmp_path / "out"), *UNSAFE]) == 2
    assert "no .ipynb submissions found" in capsys.readouterr().err


def _workers() -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        try:
            if entry.isdigit() and b"nncourse-worker" in Path(f"/proc/{entry}/cmdline").read_bytes():
                found.append(int(entry))
        except OSError:
            pass
    return found


@pytest.mark.skipif(not SANDBOXED, reason="needs the sandbox")
def test_sigterm_stops_promptly_keeps_finished_records_and_leaves_nothing(tmp_path: Path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    write_honest(subs, EXERCISE, "aaa")
    for name in ("hang1", "hang2", "hang3"):
        write_submission(subs, name, EXERCISE, ["def predict(*a):\n    while True:\n        pass\n"])
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [
        sys.executable,
        "-m",
        "nncourse.commands.cli",
        "grade",
        str(subs),
        "--out",
        str(out),
        "--jobs",
        "2",
        "--task-timeout",
        "60",
        "--submission-timeout",
        "120",
    ]
    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (
        (out / "results.jsonl").exists() and (out / "results.jsonl").read_text().strip()
    ):
        time.sleep(0.5)
    time.sleep(2)  # the hanging submissions are now running
    stopped = time.monotonic()
    child.send_signal(signal.SIGTERM)
    _, err = child.communicate(timeout=30)
    assert child.returncode == 130 and time.monotonic() - stopped < 15, err
    assert "interrupted" in err and (out / "grades.csv").exists()
    records = load_results(out / "results.jsonl")
    assert [Path(r["file"]).name for r in records] == [f"aaa_{EXERCISE}.ipynb"] and records[0]["score"] == 4.0
    assert _workers() == []


def _my_sandboxes() -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        try:
            status = Path(f"/proc/{entry}/status").read_text()
            if (
                entry.isdigit()
                and f"PPid:\t{os.getpid()}\n" in status
                and b"bwrap" in Path(f"/proc/{entry}/cmdline").read_bytes()
            ):
                found.append(int(entry))
        except OSError:
            pass
    return found


@pytest.mark.skipif(not SANDBOXED, reason="needs the sandbox")
def test_a_sandbox_killed_from_outside_is_not_a_final_grade(tmp_path: Path):
    import threading

    from nncourse.grading.gradebook import grade_submission

    path = write_submission(tmp_path, "dan", EXERCISE, ["def predict(*a):\n    while True:\n        pass\n"])
    box: dict = {}
    thread = threading.Thread(
        target=lambda: box.update(
            record=grade_submission(path, ROOT, limits=Limits(task_s=60, submission_s=120), seed=1)
        )
    )
    thread.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not _my_sandboxes():
        time.sleep(0.2)
    time.sleep(3)  # the worker is now running predict
    for pid in _my_sandboxes():
        os.kill(pid, signal.SIGKILL)  # an administrator or the OOM killer, not the learner
    thread.join(timeout=120)
    record = box["record"]
    assert record["tasks"][0]["status"] == "killed" and record["final"] is False, record


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_an_untouched_exercise_is_not_reported_as_edited(exercise_id: str):
    # answer cells are known by id: a solution-only cell that release drops must not shift them
    sub = read_submission(ROOT / "exercises" / f"{exercise_id}.ipynb", ROOT, set(EXERCISES), exercise_id)
    assert not [note for note in sub.notes if "edited" in note or "deleted" in note], sub.notes
