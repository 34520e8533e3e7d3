"""exercises/ is generated from solutions/ by `nncourse release`; bad markers are refused cleanly."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from nncourse.commands.cli import main
from nncourse.release import ReleaseError, find_regions, release, release_notebook

ROOT = Path(__file__).resolve().parent.parent


def _solution(*sources: str, tags: dict[int, list[str]] | None = None) -> nbformat.NotebookNode:
    nb = new_notebook(cells=[new_markdown_cell("# Exercise")] + [new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for index, cell_tags in (tags or {}).items():
        nb.cells[index].metadata["tags"] = cell_tags
    return nb


GOOD = "def f(x):\n    # BEGIN SOLUTION: double it\n    y = 2 * x\n    return y\n    # END SOLUTION\n\nprint('kept')"


def test_exercises_folder_is_exactly_what_release_writes():
    stale = release(ROOT / "solutions", ROOT / "exercises", check=True)
    assert stale == [], f"exercises/ is out of date, run `nncourse release`: {stale}"


def test_release_replaces_regions_by_a_stub_with_the_hint_and_keeps_the_rest():
    nb = _solution(GOOD)
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="old output")]
    nb.cells[1].execution_count = 3
    out = release_notebook(nb)
    source = out.cells[1].source
    assert "2 * x" not in source and "BEGIN SOLUTION" not in source
    assert "    # YOUR CODE HERE (hint: double it)\n    raise NotImplementedError('double it')" in source
    assert source.startswith("def f(x):") and source.endswith("print('kept')")
    assert out.cells[1].outputs == [] and out.cells[1].execution_count is None
    assert out.cells[1].id == nb.cells[1].id  # ids kept: the grader matches cells by id
    assert "2 * x" in nb.cells[1].source  # the solution notebook is not modified
    namespace: dict = {}
    exec(source.replace("print('kept')", ""), namespace)
    with pytest.raises(NotImplementedError, match="double it"):
        namespace["f"](1)


def test_several_regions_in_one_cell_and_solution_only_cells():
    two = "def a():\n    # BEGIN SOLUTION\n    return 1\n    # END SOLUTION\n\ndef b():\n    # BEGIN SOLUTION\n    return 2\n    # END SOLUTION"
    nb = _solution(two, "print('answer notes')", tags={2: ["solution-only"]})
    assert len(find_regions(nb)) == 2
    out = release_notebook(nb)
    assert out.cells[1].source.count("raise NotImplementedError('write your code here')") == 2
    assert len(out.cells) == 2 and all("answer notes" not in c.source for c in out.cells)


@pytest.mark.parametrize(
    "source, words",
    [
        ("def f():\n    # BEGIN SOLUTION\n    return 1\n", "unclosed '# BEGIN SOLUTION' at line 2"),
        ("def f():\n    return 1\n    # END SOLUTION", "'# END SOLUTION' at line 3 without"),
        ("# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION", "inside the region opened at line 1"),
        ("def f():\n    # BEGIN SOLUTIONS\n    return 1\n    # END SOLUTION", "malformed solution marker at line 2"),
    ],
)
def test_bad_markers_name_the_notebook_cell_and_line(source: str, words: str):
    with pytest.raises(ReleaseError) as info:
        release_notebook(_solution("x = 1", source), where="solutions/07_bad.ipynb")
    assert "solutions/07_bad.ipynb: cell 2" in str(info.value) and words in str(info.value)


def test_a_bad_notebook_writes_nothing_at_all(tmp_path: Path, capsys):
    solutions, exercises = tmp_path / "solutions", tmp_path / "exercises"
    solutions.mkdir()
    nbformat.write(_solution(GOOD), solutions / "01_good.ipynb")
    nbformat.write(_solution("def g():\n    # BEGIN SOLUTION\n    return 0"), solutions / "02_bad.ipynb")
    code = main(["release", "--solutions", str(solutions), "--exercises", str(exercises)])
    err = capsys.readouterr().err
    assert code == 2 and "02_bad.ipynb: cell 1: unclosed" in err and "nothing written" in err
    assert not exercises.exists()  # not even the good notebook


def test_release_check_reports_drift_and_strays(tmp_path: Path):
    solutions, exercises = tmp_path / "solutions", tmp_path / "exercises"
    solutions.mkdir()
    nbformat.write(_solution(GOOD), solutions / "01_good.ipynb")
    assert main(["release", "--solutions", str(solutions), "--exercises", str(exercises)]) == 0
    assert release(solutions, exercises, check=True) == []
    edited = nbformat.read(exercises / "01_good.ipynb", as_version=4)
    edited.cells[1].source += "\n# a hand edit"
    nbformat.write(edited, exercises / "01_good.ipynb")
    (exercises / "99_stray.ipynb").write_text("{}")
    assert release(solutions, exercises, check=True) == [exercises / "01_good.ipynb", exercises / "99_stray.ipynb"]
    assert main(["release", "--check", "--solutions", str(solutions), "--exercises", str(exercises)]) == 1


def test_a_notebook_without_any_region_or_unreadable_is_refused(tmp_path: Path):
    with pytest.raises(ReleaseError, match="no '# BEGIN SOLUTION' region"):
        release_notebook(_solution("x = 1"), where="n.ipynb")
    (tmp_path / "broken.ipynb").write_text("{not json")
    with pytest.raises(ReleaseError, match=r"broken.ipynb: cannot read notebook"):
        release(tmp_path, tmp_path / "out")


def _released(tmp_path: Path) -> tuple[Path, Path]:
    solutions, exercises = tmp_path / "solutions", tmp_path / "exercises"
    solutions.mkdir()
    nbformat.write(_solution(GOOD), solutions / "01_good.ipynb")
    assert main(["release", "--solutions", str(solutions), "--exercises", str(exercises)]) == 0
    return solutions, exercises


def test_release_refuses_to_overwrite_an_answered_or_run_exercise_unless_forced(tmp_path: Path, capsys):
    solutions, exercises = _released(tmp_path)
    target = exercises / "01_good.ipynb"
    mine = nbformat.read(target, as_version=4)
    mine.cells[1].source = "def f(x):\n    return 2 * x  # my answer"
    mine.cells[1].outputs = [nbformat.v4.new_output("stream", text="kept")]
    mine.cells[1].execution_count = 1
    nbformat.write(mine, target)
    before = target.read_text()
    code = main(["release", "--solutions", str(solutions), "--exercises", str(exercises)])
    err = capsys.readouterr().err
    assert code == 2 and target.read_text() == before  # nothing lost
    assert "01_good.ipynb: it has saved outputs (it was run); 1 answer cell holds code in place of the stub" in err
    assert "pass --force" in err and "workspace" in err
    assert main(["release", "--force", "--solutions", str(solutions), "--exercises", str(exercises)]) == 0
    assert "my answer" not in target.read_text() and release(solutions, exercises, check=True) == []


def test_release_updates_an_untouched_exercise_when_the_solution_changes(tmp_path: Path):
    solutions, exercises = _released(tmp_path)
    nbformat.write(_solution(GOOD.replace("double it", "twice x")), solutions / "01_good.ipynb")
    assert release(solutions, exercises) == [exercises / "01_good.ipynb"]
    assert "twice x" in (exercises / "01_good.ipynb").read_text()
