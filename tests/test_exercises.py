"""Exercise notebooks: blank ones run top to bottom and say "not implemented yet" for every task;
wrong answers get ✗ with a useful message; every solution passes every check."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from nncourse.checks import EXERCISES, get_exercise, points, run_task
from nncourse.commands.refresh import execute_notebook

ROOT = Path(__file__).resolve().parent.parent
BLANKS = sorted((ROOT / "exercises").glob("*.ipynb"))


def _stdout(nb: nbformat.NotebookNode) -> str:
    return "".join(
        o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "stream"
    )


def test_every_exercise_notebook_has_task_definitions_and_a_solution():
    assert {p.stem for p in BLANKS} == set(EXERCISES)
    for stem in EXERCISES:
        assert (ROOT / "solutions" / f"{stem}.ipynb").exists()


@pytest.mark.parametrize("path", BLANKS, ids=lambda p: p.name)
def test_blank_exercise_runs_top_to_bottom_and_reports_every_task_as_not_implemented(path: Path, tmp_path: Path):
    copy = tmp_path / path.name
    copy.write_bytes(path.read_bytes())
    nb, _ = execute_notebook(copy, timeout=120, write=False)  # raises if any cell errors
    out = _stdout(nb)
    tasks = get_exercise(path.stem).tasks
    for task in tasks:
        assert f"… {task.name}: not implemented yet" in out
    assert (
        f"score: 0/{points(get_exercise(path.stem).max_points)}; … still to do: {', '.join(t.name for t in tasks)}"
        in out
    )
    assert "✓" not in out and "✗" not in out


@pytest.mark.parametrize("stem", sorted(EXERCISES))
def test_every_reference_passes_its_public_and_grading_cases(stem: str):
    for task in get_exercise(stem).tasks:
        public, grading = task.public_cases(), task.grading_cases()
        assert public and grading, f"{stem}/{task.name} needs public and grading cases"
        assert run_task(task, task.reference, public).passed
        assert run_task(task, task.reference, grading).passed
        labels = [repr((c.args, c.kwargs)) for c in public]
        assert any(repr((c.args, c.kwargs)) not in labels for c in grading), (
            "grading cases must differ from the public ones"
        )


def test_a_wrong_answer_in_the_notebook_gets_a_cross_with_an_actionable_message(tmp_path: Path):
    nb = nbformat.read(ROOT / "exercises" / "01_perceptron.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.source.startswith("def predict("):
            cell.source = "def predict(X, w, b):\n    return (X @ w + b >= 0).astype(int)"  # boundary on the wrong side
        elif cell.source.startswith("def update("):
            cell.source = (
                "def update(w, b, x, y, lr=1.0):\n    return w + lr * y * x, b + lr * y"  # updates when right too
            )
    path = tmp_path / "01_perceptron.ipynb"
    nbformat.write(nb, path)
    executed, _ = execute_notebook(path, timeout=120, write=False)
    out = _stdout(executed)
    assert "✗ predict: case 'one point on the boundary': result differs at index (0,): expected 0, got 1" in out
    assert "hint: z = 0 exactly gives class 0" in out
    assert "✗ update: case 'correct example: no change': w differs at index (0,)" in out
    assert "… train_perceptron: not implemented yet" in out
    assert (
        "score: 0/4 points; ✗ wrong: predict, update; … still to do: train_perceptron" in out
    )  # wrong apart from to do


def test_a_wrong_backward_in_exercise_03_is_named_by_the_demo_and_run_all_reaches_the_score(tmp_path: Path):
    solution = nbformat.read(ROOT / "solutions" / "03_mlp_backprop.ipynb", as_version=4)
    nb = nbformat.read(ROOT / "exercises" / "03_mlp_backprop.ipynb", as_version=4)
    for cell, answer in zip(nb.cells, solution.cells, strict=False):
        if "# BEGIN SOLUTION" in answer.source:  # every task solved ...
            cell.source = answer.source
        if cell.source.startswith("def linear_backward("):  # ... except linear_backward, whose dW is transposed
            cell.source = cell.source.replace("dW = X.T @ dZ", "dW = (X.T @ dZ).T")
    path = tmp_path / "03_mlp_backprop.ipynb"
    nbformat.write(nb, path)
    executed, _ = execute_notebook(path, timeout=120, write=False)  # raises if any cell errors
    out = _stdout(executed)
    demo = [line for line in out.splitlines() if line.startswith("Try it")]
    assert len(demo) == 1 and "fix linear_backward first" in demo[0], out
    assert "✗ linear_backward:" in out
    assert "✗ wrong: linear_backward" in out
