"""Write the student exercise notebooks from the solution notebooks (the single source).

In a code cell of ``solutions/NAME.ipynb`` a solution region is marked like this::

    def predict(X, w, b):
        # BEGIN SOLUTION: compare the weighted sum with 0
        return (X @ w + b > 0).astype(np.int64)
        # END SOLUTION

``release`` replaces each region by a stub at the marker's indentation::

        # YOUR CODE HERE (hint: compare the weighted sum with 0)
        raise NotImplementedError("compare the weighted sum with 0")

Cells tagged ``solution-only`` are dropped; every output and execution count is cleared; cell ids
are kept, so the grader can match an exercise cell with its solution cell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

BEGIN = re.compile(r"^(?P<indent>\s*)# BEGIN SOLUTION(?::\s*(?P<hint>.*?))?\s*$")
END = re.compile(r"^\s*# END SOLUTION\s*$")
SOLUTION_ONLY_TAG = "solution-only"
NB_VERSION = 4


class ReleaseError(ValueError):
    """A solution notebook whose markers cannot be turned into an exercise."""


@dataclass(frozen=True)
class Region:
    """A solution region: cell index, the marker lines (0-based, inclusive) and the hint."""

    cell: int
    begin: int
    end: int
    hint: str


def find_regions(nb: NotebookNode, where: str = "notebook") -> list[Region]:
    """All solution regions of a notebook; ``ReleaseError`` names the notebook, cell and line of any bad marker."""
    regions: list[Region] = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        lines = cell.source.splitlines()
        open_at: int | None = None
        hint = ""
        for number, line in enumerate(lines):
            begin = BEGIN.match(line)
            if begin:
                if open_at is not None:
                    raise ReleaseError(
                        f"{where}: cell {index}: '# BEGIN SOLUTION' at line {number + 1} inside the region opened at line {open_at + 1}"
                    )
                open_at, hint = number, (begin.group("hint") or "")
            elif END.match(line):
                if open_at is None:
                    raise ReleaseError(
                        f"{where}: cell {index}: '# END SOLUTION' at line {number + 1} without a '# BEGIN SOLUTION'"
                    )
                regions.append(Region(index, open_at, number, hint))
                open_at = None
            elif "BEGIN SOLUTION" in line or "END SOLUTION" in line:
                raise ReleaseError(
                    f"{where}: cell {index}: malformed solution marker at line {number + 1}: {line.strip()!r}"
                )
        if open_at is not None:
            raise ReleaseError(f"{where}: cell {index}: unclosed '# BEGIN SOLUTION' at line {open_at + 1}")
    return regions


def release_notebook(nb: NotebookNode, where: str = "notebook") -> NotebookNode:
    """Return the exercise version of a solution notebook (the input is not modified)."""
    regions = find_regions(nb, where)
    if not regions:
        raise ReleaseError(f"{where}: no '# BEGIN SOLUTION' region; an exercise needs at least one task")
    out = nbformat.from_dict(nb)  # deep copy
    by_cell: dict[int, list[Region]] = {}
    for region in regions:
        by_cell.setdefault(region.cell, []).append(region)
    for index, cell_regions in by_cell.items():
        lines = out.cells[index].source.splitlines()
        for region in reversed(cell_regions):  # from the bottom, so earlier line numbers stay valid
            begin = BEGIN.match(lines[region.begin])
            assert begin is not None, "a region starts at a '# BEGIN SOLUTION' line by construction"
            indent = begin.group("indent")
            message = region.hint or "write your code here"
            comment = f"{indent}# YOUR CODE HERE" + (f" (hint: {region.hint})" if region.hint else "")
            lines[region.begin : region.end + 1] = [comment, f"{indent}raise NotImplementedError({message!r})"]
        out.cells[index].source = "\n".join(lines)
    out.cells = [c for c in out.cells if SOLUTION_ONLY_TAG not in c.get("metadata", {}).get("tags", [])]
    for cell in out.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.get("metadata", {}).pop("execution", None)
    out.metadata.pop("widgets", None)
    return out


def stamp(nb: NotebookNode, exercise_id: str) -> NotebookNode:
    """Record which exercise a released notebook is, so the grader recognises renamed submissions."""
    nb.metadata["nncourse"] = {"exercise": exercise_id}
    return nb


def _write(nb: NotebookNode) -> str:
    return nbformat.writes(nb, version=NB_VERSION) + "\n"


STUB = "raise NotImplementedError("


def learner_work(existing: NotebookNode, released: NotebookNode) -> list[str]:
    """Signs that an exercise file holds someone's work, which releasing over it would destroy:
    saved outputs (it was run), or an answer cell whose stub was replaced by code. An author's
    change to a solution never does either, so it is released without asking."""
    signs = []
    if any(c.cell_type == "code" and (c.get("outputs") or c.get("execution_count")) for c in existing.cells):
        signs.append("it has saved outputs (it was run)")
    stubs = {c.get("id"): c.source.count(STUB) for c in released.cells if c.cell_type == "code" and STUB in c.source}
    answered = [
        c.get("id") for c in existing.cells if c.get("id") in stubs and c.source.count(STUB) < stubs[c.get("id")]
    ]
    if answered:
        signs.append(
            f"{len(answered)} answer cell{'s' if len(answered) > 1 else ''} hold{'' if len(answered) > 1 else 's'} code in place of the stub"
        )
    return signs


def release(solutions: Path, exercises: Path, check: bool = False, force: bool = False) -> list[Path]:
    """Release every ``solutions/*.ipynb`` into ``exercises/``.

    Every notebook is converted before anything is written, so one bad marker writes nothing.
    With ``check=True`` nothing is written; returns the exercise files that are missing or differ
    from what release would write (plus stray exercise files with no solution). Otherwise returns
    the files written. An exercise file that differs and holds someone's work (``learner_work``)
    is not overwritten: ``ReleaseError`` names it and nothing is written, unless ``force=True``.
    """
    sources = sorted(Path(solutions).glob("*.ipynb"))
    if not sources:
        raise ReleaseError(f"no solution notebooks in {solutions}")
    rendered: dict[Path, str] = {}
    for path in sources:
        try:
            nb = nbformat.read(path, as_version=NB_VERSION)
        except Exception as exc:
            raise ReleaseError(f"{path}: cannot read notebook ({type(exc).__name__}: {exc})") from exc
        rendered[Path(exercises) / path.name] = _write(stamp(release_notebook(nb, str(path)), path.stem))
    if check:
        stale = [p for p, text in rendered.items() if not p.exists() or p.read_text(encoding="utf-8") != text]
        stray = [p for p in sorted(Path(exercises).glob("*.ipynb")) if p not in rendered]
        return stale + stray
    if not force:
        refused = []
        for path, text in rendered.items():
            if path.exists() and path.read_text(encoding="utf-8") != text:
                try:
                    signs = learner_work(
                        nbformat.read(path, as_version=NB_VERSION), nbformat.reads(text, as_version=NB_VERSION)
                    )
                except Exception:  # noqa: BLE001 - an unreadable file is someone's file too
                    signs = ["it is not a notebook release can read"]
                if signs:
                    refused.append(f"{path}: {'; '.join(signs)}")
        if refused:
            raise ReleaseError(
                "these exercise files hold work that release would overwrite:\n  "
                + "\n  ".join(refused)
                + "\nLearners: work in workspace/ (`nncourse workspace`), never in exercises/. Authors: pass --force to overwrite."
            )
    Path(exercises).mkdir(parents=True, exist_ok=True)
    for path, text in rendered.items():
        path.write_text(text, encoding="utf-8")
    return list(rendered)
