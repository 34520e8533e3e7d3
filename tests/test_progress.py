"""`nncourse check` and `nncourse progress`: points, wrong apart from to do, exit codes, lectures refused."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from nncourse.checks import FAIL, PASS, TODO
from nncourse.commands.cli import main
from nncourse.commands.progress import EXIT_CANNOT, EXIT_NOT_DONE, EXIT_PASS, progress
from nncourse.commands.workspace import sync_workspace, workspace_path

ROOT = Path(__file__).resolve().parent.parent


def _answer(path: Path, name: str, body: str) -> None:
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code" and c.source.startswith(f"def {name}("))
    cell.source = cell.source.split("\n")[0] + "\n" + body
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    ws = tmp_path_factory.mktemp("ws")
    sync_workspace(ROOT, ws)
    exercise = workspace_path(ws, "exercises", "01_perceptron.ipynb")
    _answer(exercise, "predict", "    return (X @ w + b > 0).astype(np.int64)")  # right
    _answer(exercise, "update", "    return w, b")  # wrong
    return ws


def test_check_exit_codes_points_and_wrong_apart_from_to_do(workspace: Path, capsys):
    exercise = workspace_path(workspace, "exercises", "01_perceptron.ipynb")
    assert main(["check", str(exercise)]) == EXIT_NOT_DONE
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{PASS} predict (1 point): all 3 cases pass"
    assert lines[1].startswith(f"{FAIL} update (1 point): ")
    assert lines[2].startswith(f"{TODO} train_perceptron (2 points): not implemented yet")
    assert lines[-1] == (
        f"score: 1/4 points (public checks; grading uses other cases); {FAIL} wrong: update; "
        f"{TODO} still to do: train_perceptron"
    )
    assert main(["check", str(ROOT / "solutions" / "01_perceptron.ipynb")]) == EXIT_PASS
    assert capsys.readouterr().out.splitlines()[-1] == "score: 4/4 points (public checks; grading uses other cases)"


def test_check_on_a_lecture_says_it_is_not_an_exercise(workspace: Path, capsys):
    assert main(["check", str(ROOT / "notebooks" / "03_mlp_backprop.ipynb")]) == EXIT_CANNOT
    assert (
        capsys.readouterr()
        .out.strip()
        .endswith(
            "03_mlp_backprop.ipynb is a lecture notebook, not an exercise: there is nothing to check; its exercise is "
            f"{ROOT / 'exercises' / '03_mlp_backprop.ipynb'}"
        )
    )
    lecture = workspace_path(workspace, "notebooks", "05_pytorch_mlp.ipynb")
    assert main(["check", str(lecture)]) == EXIT_CANNOT
    assert "is a lecture notebook, not an exercise" in capsys.readouterr().out
    lecture = workspace_path(workspace, "notebooks", "01_perceptron.ipynb")
    main(["check", str(lecture)])
    assert (
        capsys.readouterr()
        .out.strip()
        .endswith(f"its exercise is {workspace_path(workspace, 'exercises', '01_perceptron.ipynb')}")
    )


def test_progress_is_one_table_in_points(workspace: Path, capsys):
    lines: list[str] = []
    rows = progress(ROOT, workspace, out=lambda text: lines.extend(text.splitlines()))
    by_id = {r.exercise: r for r in rows}
    assert (by_id["01_perceptron"].score, by_id["01_perceptron"].max_score) == (1.0, 4.0)
    assert (by_id["01_perceptron"].passed, by_id["01_perceptron"].wrong, by_id["01_perceptron"].todo) == (1, 1, 1)
    assert by_id["03_mlp_backprop"].todo == 5 and by_id["03_mlp_backprop"].score == 0
    assert lines[0].split() == ["exercise", "score", PASS, "pass", FAIL, "wrong", TODO, "to", "do"]
    assert lines[1].split()[:4] == ["01_perceptron", "1/4", "points", "1"]
    assert lines[-1].startswith("total") and f"1/{sum(r.max_score for r in rows):g} points" in lines[-1]
    assert len(lines) == len(rows) + 2


def test_progress_names_an_exercise_missing_from_the_workspace(tmp_path: Path, capsys):
    assert main(["progress", "--workspace", str(tmp_path)]) == 0
    assert "not in your workspace (run `nncourse workspace`)" in capsys.readouterr().out
