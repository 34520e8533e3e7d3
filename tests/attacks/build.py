"""Build real hostile submissions: the released exercise notebook with an attacking answer cell.

Each attack of ``nncourse.grading.attacks.ATTACKS`` becomes a ``.ipynb`` file named
``<attack-slug>_<exercise>.ipynb``: its first answer cell holds the attack, the other answer
cells ``pass``. Honest submissions are built the same way from the solution's answer cells.

    python tests/attacks/build.py OUT_DIR [EXERCISE]
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

from nncourse.grading.attacks import ATTACKS
from nncourse.grading.submission import answer_cell_indices, solution_notebook

ROOT = Path(__file__).resolve().parents[2]


def _answer_cells(nb: nbformat.NotebookNode, exercise_id: str) -> list[nbformat.NotebookNode]:
    ids = {
        solution_notebook(ROOT, exercise_id).cells[i].get("id")
        for i in answer_cell_indices(solution_notebook(ROOT, exercise_id))
    }
    return [c for c in nb.cells if c.get("id") in ids]


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40]


def write_submission(folder: Path, name: str, exercise_id: str, answers: list[str]) -> Path:
    """The released exercise with its answer cells replaced by ``answers`` (in order; missing ones: ``pass``)."""
    nb = nbformat.read(ROOT / "exercises" / f"{exercise_id}.ipynb", as_version=4)
    for index, cell in enumerate(_answer_cells(nb, exercise_id)):
        cell.source = answers[index] if index < len(answers) else "pass"
    path = Path(folder) / f"{name}_{exercise_id}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def write_attacks(folder: Path, exercise_id: str, names: list[str] | None = None) -> dict[Path, str]:
    """One submission per attack; returns path -> attack name."""
    from nncourse.checks import get_exercise

    tasks = [t.name for t in get_exercise(exercise_id).tasks]
    return {
        write_submission(folder, slug(name), exercise_id, ATTACKS[name](tasks)): name for name in (names or ATTACKS)
    }


def write_honest(folder: Path, exercise_id: str, name: str = "honest") -> Path:
    solution = solution_notebook(ROOT, exercise_id)
    return write_submission(
        folder, name, exercise_id, [solution.cells[i].source for i in answer_cell_indices(solution)]
    )


if __name__ == "__main__":
    out, exercise = Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "01_perceptron"
    for path, attack in write_attacks(out, exercise).items():
        print(f"{path}  ({attack})")
    print(write_honest(out, exercise))
