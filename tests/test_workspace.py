"""The learner's workspace: own copies, links that still work, updates offered and never forced."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import nbformat
import pytest

from nncourse.commands.cli import main
from nncourse.commands.workspace import MANIFEST, sync_workspace, workspace_path

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def course(tmp_path: Path) -> Path:
    """A copy of the course's notebook folders, which a test may change as a course update would."""
    for folder in ("notebooks", "exercises", "solutions"):
        shutil.copytree(ROOT / folder, tmp_path / "course" / folder)
    return tmp_path / "course"


def _edit(path: Path, text: str) -> None:
    nb = nbformat.read(path, as_version=4)
    nb.cells[-1].source += text
    os.chmod(path, 0o644)
    nbformat.write(nb, path)


def test_first_sync_copies_lectures_exercises_and_read_only_solutions(course: Path):
    actions = sync_workspace(course)
    ws = course / "workspace"
    assert {a.what for a in actions} == {"created"}
    assert len(actions) == sum(len(list((course / f).glob("*.ipynb"))) for f in ("notebooks", "exercises", "solutions"))
    lecture = ws / "lectures" / "lecture-03_mlp_backprop.ipynb"
    exercise = ws / "exercises" / "exercise-03_mlp_backprop.ipynb"
    solution = ws / "solutions" / "solution-03_mlp_backprop.ipynb"
    assert lecture.exists() and exercise.exists() and solution.exists() and (ws / "README.md").exists()
    assert not os.access(solution, os.W_OK) or os.getuid() == 0
    assert oct(solution.stat().st_mode & 0o777) == "0o444"
    assert nbformat.read(exercise, as_version=4).metadata["nncourse"] == {"exercise": "03_mlp_backprop"}
    assert nbformat.read(lecture, as_version=4).metadata["nncourse"] == {"lecture": "03_mlp_backprop"}
    assert json.loads((ws / MANIFEST).read_text())["files"]["exercises/exercise-03_mlp_backprop.ipynb"]


def test_links_between_notebooks_point_at_the_workspace_copies(course: Path):
    sync_workspace(course)
    ws = course / "workspace"
    lecture = (ws / "lectures" / "lecture-03_mlp_backprop.ipynb").read_text()
    exercise = (ws / "exercises" / "exercise-03_mlp_backprop.ipynb").read_text()
    assert "](../exercises/exercise-03_mlp_backprop.ipynb)" in lecture and "](lecture-04_autograd.ipynb)" in lecture
    assert "](../lectures/lecture-03_mlp_backprop.ipynb)" in exercise
    import re

    for path in ws.rglob("*.ipynb"):  # every relative notebook link resolves inside the workspace
        for target in re.findall(r"\]\(([^)#:]+\.ipynb)", path.read_text()):
            assert (path.parent / target).exists(), f"{path.name} links to missing {target}"


def test_a_course_update_replaces_untouched_copies_and_offers_the_rest(course: Path):
    sync_workspace(course)
    ws = course / "workspace"
    mine = workspace_path(ws, "exercises", "03_mlp_backprop.ipynb")
    untouched = workspace_path(ws, "exercises", "01_perceptron.ipynb")
    _edit(mine, "\n# my work")
    mine_before = mine.read_text()
    assert {a.what for a in sync_workspace(course)} == {"unchanged", "kept"}  # nothing new: nothing to do
    for stem in ("03_mlp_backprop", "01_perceptron"):  # the course updates both exercises
        _edit(course / "exercises" / f"{stem}.ipynb", "\n# course update")
    actions = {a.path.name: a for a in sync_workspace(course)}
    assert actions[mine.name].what == "offered" and mine.read_text() == mine_before  # nothing lost
    offer = mine.with_name("exercise-03_mlp_backprop.new.ipynb")
    assert (
        actions[mine.name].offer == offer
        and "# course update" in offer.read_text()
        and "# my work" not in offer.read_text()
    )
    assert str(actions[mine.name]).startswith("a newer version of exercise-03_mlp_backprop.ipynb is available")
    assert actions[untouched.name].what == "updated" and "# course update" in untouched.read_text()
    shutil.copy(offer, mine)  # the learner takes the new version: the offer goes away
    assert {a.path.name: a.what for a in sync_workspace(course)}[mine.name] == "unchanged" and not offer.exists()


def test_a_deleted_copy_and_a_new_chapter_are_copied_in(course: Path):
    sync_workspace(course)
    ws = course / "workspace"
    workspace_path(ws, "notebooks", "00_welcome.ipynb").unlink()
    shutil.copy(course / "notebooks" / "01_perceptron.ipynb", course / "notebooks" / "99_new.ipynb")
    created = {a.path.name for a in sync_workspace(course) if a.what == "created"}
    assert created == {"lecture-00_welcome.ipynb", "lecture-99_new.ipynb"}


def test_workspace_command_and_a_workspace_exercise_grades_like_the_original(course: Path, capsys, monkeypatch):
    monkeypatch.chdir(course)
    assert main(["workspace", "--quiet"]) == 0
    assert capsys.readouterr().out.startswith("workspace: copied ")
    assert main(["workspace"]) == 0
    assert "notebooks; open it with `make lab`" in capsys.readouterr().out
    exercise = workspace_path(course / "workspace", "exercises", "01_perceptron.ipynb")
    assert main(["check", str(exercise)]) == 1
    out = capsys.readouterr().out
    assert "note:" not in out  # the rewritten links are not "tampering"
    assert out.splitlines()[-1].startswith("score: 0/4 points")
    monkeypatch.chdir(course / "workspace")  # from inside the workspace, the course is still found
    assert main(["check", "exercises/exercise-01_perceptron.ipynb"]) == 1
    assert capsys.readouterr().out.splitlines()[-1].startswith("score: 0/4 points")


def test_gitignore_keeps_the_workspace_out_of_git():
    assert "workspace/" in (ROOT / ".gitignore").read_text().splitlines()


def test_a_submitted_workspace_copy_is_named_after_its_folder_like_the_original():
    from nncourse.checks import EXERCISES
    from nncourse.grading.submission import student_name

    assert student_name(Path("alice/exercise-01_perceptron.ipynb"), set(EXERCISES)) == "alice"
    assert student_name(Path("bob/01_perceptron.ipynb"), set(EXERCISES)) == "bob"
