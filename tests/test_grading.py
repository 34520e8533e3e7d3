"""The grader on real submission files: right scores, clear messages, no crash, nothing lost."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import nbformat
import pytest

from nncourse.commands.cli import main
from nncourse.grading import wire
from nncourse.grading.attacks import ATTACKS
from nncourse.grading.gradebook import grade_many, grade_submission
from nncourse.grading.runner import Limits
from nncourse.grading.sandbox import sandbox_status
from nncourse.grading.submission import answer_cell_indices, solution_notebook

SANDBOXED = sandbox_status()[0]  # without bubblewrap these tests still run, unsandboxed
UNSAFE = [] if SANDBOXED else ["--unsafe-no-sandbox"]

ROOT = Path(__file__).resolve().parent.parent
FAST = Limits(task_s=3.0, cell_s=3.0, submission_s=30.0)
EXERCISE = "01_perceptron"
SOLUTION = solution_notebook(ROOT, EXERCISE)
ANSWERS = answer_cell_indices(SOLUTION)
GOOD = {SOLUTION.cells[i].source.split("(")[0].removeprefix("def "): SOLUTION.cells[i].source for i in ANSWERS}
WRONG_PREDICT = "def predict(X, w, b):\n    return (X @ w + b >= 0).astype(int)\n"
NOISY_TRAIN = (
    "import warnings, sys, random\nfrom tqdm import tqdm\nrandom.seed(123)\nnp.random.seed(7)\n"
    + GOOD["train_perceptron"].replace(
        "for _ in range(max_epochs):", "for _ in tqdm(range(max_epochs), file=sys.stderr):"
    )
    + "\nwarnings.warn('just a warning')\nprint('lots of output ' * 100)\n"
)


def _submission(tmp: Path, name: str, answers: dict[str, str] | None = None, edit=None) -> Path:
    """A real submission: the released exercise with some answer cells filled in."""
    nb = nbformat.read(ROOT / "exercises" / f"{EXERCISE}.ipynb", as_version=4)
    for cell in nb.cells:
        for task, source in (answers or {}).items():
            if cell.cell_type == "code" and cell.source.startswith(f"def {task}("):
                cell.source = source
    if edit:
        edit(nb)
    path = tmp / name
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def _grade(path: Path) -> dict:
    return grade_submission(path, ROOT, limits=FAST, sandboxed=SANDBOXED)


def _points(record: dict) -> dict[str, float]:
    return {t["name"]: t["points"] for t in record["tasks"]}


def test_full_partial_and_blank_submissions(tmp_path: Path):
    full = _grade(_submission(tmp_path, "alice_01_perceptron.ipynb", GOOD))
    assert full["error"] is None and full["score"] == full["max_score"] == 4.0 and full["student"] == "alice"
    partial = _grade(_submission(tmp_path, "bob/01_perceptron.ipynb", {**GOOD, "predict": WRONG_PREDICT}))
    assert partial["student"] == "bob" and _points(partial) == {"predict": 0.0, "update": 1.0, "train_perceptron": 2.0}
    predict = partial["tasks"][0]
    assert (
        predict["status"] == "fail"
        and "expected 0, got 1" in predict["message"]
        and "hint: z = 0 exactly gives class 0" in predict["message"]
    )
    blank = _grade(_submission(tmp_path, "carol_01_perceptron.ipynb"))
    assert blank["score"] == 0 and {t["status"] for t in blank["tasks"]} == {"todo"}


def test_a_failed_dependency_is_replaced_by_the_reference_for_later_tasks(tmp_path: Path):
    broken_update = "def update(w, b, x, y, lr=1.0):\n    import os\n    os._exit(1)\n"
    record = _grade(_submission(tmp_path, "dave_01_perceptron.ipynb", {**GOOD, "update": broken_update}))
    assert _points(record) == {"predict": 1.0, "update": 0.0, "train_perceptron": 2.0}
    assert record["tasks"][1]["status"] == "crash" and "exited with code 1" in record["tasks"][1]["message"]


def test_honest_but_noisy_code_gets_full_marks(tmp_path: Path):
    record = _grade(_submission(tmp_path, "erin_01_perceptron.ipynb", {**GOOD, "train_perceptron": NOISY_TRAIN}))
    assert record["score"] == 4.0, record


@pytest.mark.parametrize(
    "attack",
    [
        "infinite loop ignoring SIGINT",
        "os._exit at cell level",
        "memory bomb",
        "fork bomb",
        "output flood",
        "monkeypatch numpy and builtins",
        "object lying about equality",
        "import the reference implementation",
    ],
)
def test_attacks_as_real_files_score_zero_and_the_run_goes_on(tmp_path: Path, attack: str):
    cells = ATTACKS[attack]([*GOOD])

    def edit(nb):
        answer_cells = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith("def ")]
        answer_cells[0].source = cells[0]
        for cell in answer_cells[1:]:
            cell.source = "pass"

    record = _grade(_submission(tmp_path, "mallory_01_perceptron.ipynb", edit=edit))
    assert record["error"] is None and record["score"] == 0.0, record
    assert len(record["tasks"]) == 3 and all(t["message"] for t in record["tasks"])


@pytest.mark.filterwarnings("ignore:Non-unique cell id")
def test_tampered_notebooks_are_graded_from_the_course_source(tmp_path: Path):
    def tamper(nb):
        check_cells = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith("check(")]
        check_cells[0].source = "print('✓ predict: all cases pass')"  # a forged check
        nb.cells.remove(check_cells[1])  # a deleted cell
        nb.cells.insert(0, nbformat.v4.new_code_cell("import numpy as np\nnp.allclose = lambda *a, **k: True"))
        nb.cells.append(nb.cells[1])  # a duplicated markdown cell
        nb.metadata["kernelspec"] = {"name": "evil", "display_name": "evil"}
        nb.metadata.pop("nncourse", None)

    record = _grade(_submission(tmp_path, "frank_01_perceptron.ipynb", {**GOOD, "predict": WRONG_PREDICT}, edit=tamper))
    assert _points(record) == {"predict": 0.0, "update": 1.0, "train_perceptron": 2.0}
    notes = " ".join(record["notes"])
    assert "deleted" in notes and "edited" in notes and "added" in notes and "kernelspec changed to 'evil'" in notes


def test_answers_are_found_by_function_name_when_cell_ids_are_lost(tmp_path: Path):
    path = _submission(tmp_path, "gina_01_perceptron.ipynb", GOOD)
    nb = nbformat.read(path, as_version=4)
    old = tmp_path / "old" / "gina_01_perceptron.ipynb"
    old.parent.mkdir()
    old.write_text(nbformat.writes(nbformat.convert(nb, 3), version=3))  # an old nbformat 3 file, no cell ids
    record = _grade(old)
    assert record["score"] == 4.0 and any("old notebook format" in n for n in record["notes"])


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "the file is empty"),
        (b'{"cells": [', "not valid notebook JSON (line 1"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
        (b'{"hello": "world"}', "not a Jupyter notebook"),
        (b" " * (21 * 1024 * 1024), "file too large"),
    ],
)
def test_malformed_files_are_reported_with_zero_and_never_crash(tmp_path: Path, content: bytes, message: str):
    path = tmp_path / "henry_01_perceptron.ipynb"
    path.write_bytes(content)
    record = _grade(path)
    assert record["score"] == 0 and message in record["error"] and len(record["tasks"]) == 3


def test_wire_refuses_code_carrying_or_malformed_values():
    import numpy as np

    assert np.array_equal(wire.decode(wire.encode(np.arange(6.0).reshape(2, 3))), np.arange(6.0).reshape(2, 3))
    assert wire.decode(wire.encode(np.asarray(3.0))).shape == ()  # 0-d arrays keep their shape
    assert wire.decode(wire.encode((1, [2.5, float("nan")], {"w": np.ones(2)})))[1][0] == 2.5
    for bad in (object(), np.array([object()]), {1: 2}, lambda: 0):
        with pytest.raises(wire.WireError):
            wire.encode(bad)
    with pytest.raises(wire.WireError, match="size does not match"):
        wire.decode({"__ndarray__": "AAAA", "dtype": "float64", "shape": [5]})
    with pytest.raises(wire.WireError):
        wire.decode({"__ndarray__": "", "dtype": "object", "shape": [0]})


def test_grade_folder_writes_every_output_resumes_and_is_idempotent(tmp_path: Path):
    subs = tmp_path / "submissions"
    _submission(subs, "s1_01_perceptron.ipynb", GOOD)
    _submission(subs, "s2_01_perceptron.ipynb", {**GOOD, "predict": WRONG_PREDICT})
    _submission(subs, "s3_01_perceptron.ipynb")
    (subs / "s4_01_perceptron.ipynb").write_text("not json")
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in subs.iterdir()}
    out = tmp_path / "out"
    records = grade_many([subs], out, ROOT, limits=FAST, jobs=2, progress=False, sandboxed=SANDBOXED)
    assert [r["score"] for r in records] == [4.0, 3.0, 0.0, 0.0]
    rows = list(csv.DictReader((out / "grades.csv").open()))
    assert [r["student"] for r in rows] == ["s1", "s2", "s3", "s4"]
    assert (
        rows[1]["predict"] == "0.0" and rows[1]["total"] == "3.0" and "not valid notebook JSON" in rows[3]["problems"]
    )
    feedback = next((out / "feedback").glob("s2-*.md")).read_text()
    assert (
        "3 / 4" in feedback
        and "expected 0, got 1" in feedback
        and "BEGIN SOLUTION" not in feedback
        and "def " not in feedback
    )
    gradescope = json.loads(next((out / "gradescope").glob("s1-*/results.json")).read_text())
    assert gradescope["score"] == 4.0 and {t["name"] for t in gradescope["tests"]} == {
        "predict",
        "update",
        "train_perceptron",
    }
    assert before == {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in subs.iterdir()}  # submissions untouched

    # interrupted run: keep only the first two results (and a half-written line), then resume
    lines = (out / "results.jsonl").read_text().splitlines()
    (out / "results.jsonl").write_text("\n".join(lines[:2]) + "\n" + lines[2][:20])
    again = grade_many([subs], out, ROOT, limits=FAST, jobs=2, progress=False, sandboxed=SANDBOXED)
    assert sorted(r["score"] for r in again) == [0.0, 0.0, 3.0, 4.0]
    assert len((out / "results.jsonl").read_text().splitlines()) == 5  # 2 kept + the cut line + 2 graded again
    assert (out / "grades.csv").read_text().count("\n") == 5  # header + 4 students
    grade_many([subs], out, ROOT, limits=FAST, jobs=2, progress=False, sandboxed=SANDBOXED)  # idempotent
    assert len((out / "results.jsonl").read_text().splitlines()) == 5


def test_check_and_grade_command_line(tmp_path: Path, capsys):
    path = _submission(tmp_path, "ivy_01_perceptron.ipynb", {**GOOD, "predict": WRONG_PREDICT})
    assert main(["check", str(path)]) == 1  # a task fails: non-zero, like a test runner
    out = capsys.readouterr().out
    assert (
        "✗ predict (1 point):" in out and "✓ update (1 point): all 4 cases pass" in out and "score: 3/4 points" in out
    )
    assert main(["grade", str(path), "--out", str(tmp_path / "out"), "--task-timeout", "3", *UNSAFE]) == 0
    assert "graded 1 submissions" in capsys.readouterr().out
