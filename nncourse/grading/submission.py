"""Read a submitted exercise notebook without trusting it: find the learner's answer cells, and
note any tampering with the rest (which is ignored: the course's own cells are used instead).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import numpy as np

from nncourse.release import find_regions, release_notebook

MAX_BYTES = 20 * 1024 * 1024
MAX_JSON_DEPTH = 64  # a notebook is about 6 deep; JSON outputs of cells add a few levels
JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
MAGIC = re.compile(r"^(\s*)([%!])", re.M)
DEF = re.compile(r"^(?:def|class)\s+(\w+)", re.M)


@dataclass
class Submission:
    """A submission as the grader sees it. ``error`` set means it cannot be graded at all."""

    path: Path
    student: str
    sha256: str
    exercise_id: str | None = None
    answers: list[str] = field(default_factory=list)
    prelude: str = ""
    notes: list[str] = field(default_factory=list)
    error: str | None = None


def solution_notebook(course_root: Path, exercise_id: str) -> nbformat.NotebookNode:
    path = Path(course_root) / "solutions" / f"{exercise_id}.ipynb"
    if not path.exists():
        raise FileNotFoundError(f"no solution notebook for exercise {exercise_id!r} at {path}")
    return nbformat.read(path, as_version=4)


def answer_cell_indices(solution: nbformat.NotebookNode) -> list[int]:
    """Indices of the solution's code cells that hold a solution region: the learner's answer cells."""
    return sorted({region.cell for region in find_regions(solution)})


IMPORT = re.compile(r"^(?:import|from)\s+([A-Za-z_][\w.]*)[^\n]*$", re.M)
SKIPPED_MODULES = ("nncourse", "matplotlib", "IPython", "ipywidgets", "tqdm")


def course_prelude(solution: nbformat.NotebookNode) -> str:
    """The imports of the solution's own (non-answer) cells, which answers may rely on (``math``, ``np``...).

    They come from the course's source, so the worker runs them as trusted code before the learner's
    cells; the course package and plotting/widget libraries are left out.
    """
    answers = set(answer_cell_indices(solution))
    lines = []
    for index, cell in enumerate(solution.cells):
        if cell.cell_type != "code" or index in answers:
            continue
        for match in IMPORT.finditer(cell.source):
            if match.group(1).split(".")[0] not in SKIPPED_MODULES and match.group(0) not in lines:
                lines.append(match.group(0))
    return "\n".join(lines) + "\n"


def student_name(path: Path, known_ids: set[str]) -> str:
    """The student, from the file name: ``alice_03_mlp_backprop.ipynb`` -> ``alice``; the folder's
    name when the file keeps the exercise's own name (``bob/01_perceptron.ipynb`` -> ``bob``)."""
    stem = path.stem.removeprefix("exercise-")  # the workspace names copies exercise-<id>
    if stem in known_ids:
        return path.parent.name or stem
    for exercise_id in sorted(known_ids, key=len, reverse=True):
        if exercise_id in stem:
            name = stem.replace(exercise_id, " ").strip(" _-.")
            return re.sub(r"[ _.-]*\s[ _.-]*", "_", name) or stem
    return stem


class UnsafeFile(ValueError):
    """A submission path that is not a regular file of a sane size."""


def read_regular(path: Path, limit: int = MAX_BYTES) -> bytes:
    """The bytes of a regular file, opened without following a final symlink (FIFOs, devices,
    folders and links refused) and with its size checked before reading."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno == 40:  # ELOOP: the name is a symbolic link
            raise UnsafeFile("the file is a symbolic link; submit the notebook itself") from exc
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeFile("not a regular file (a folder, FIFO, socket or device)")
        if info.st_size > limit:
            raise UnsafeFile(f"file too large ({info.st_size / 1e6:.1f} MB; the limit is {limit / 1e6:.0f} MB)")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise UnsafeFile(f"file too large (more than {limit / 1e6:.0f} MB)")
        return b"".join(chunks)
    finally:
        os.close(fd)


def file_digest(path: Path) -> str:
    """sha256 of a submission's bytes, or "" when it cannot be read safely."""
    try:
        return hashlib.sha256(read_regular(path)).hexdigest()
    except (OSError, UnsafeFile):
        return ""


def json_depth(raw: bytes) -> int:
    """How deeply arrays and objects nest in a JSON text (strings ignored); linear time, no recursion."""
    skeleton = np.frombuffer(JSON_STRING.sub(b'""', raw), dtype=np.uint8)
    steps = np.isin(skeleton, (ord("["), ord("{"))).astype(np.int32) - np.isin(skeleton, (ord("]"), ord("}"))).astype(
        np.int32
    )
    return int(np.cumsum(steps).max(initial=0))


def collect(inputs: list[Path]) -> list[Path]:
    """Files given, plus every ``*.ipynb`` under folders given (symlinked folders inside not followed);
    sorted, without checkpoints. A path that does not exist raises ``FileNotFoundError``."""
    found: set[Path] = set()
    for item in map(Path, inputs):
        if not os.path.lexists(item):
            raise FileNotFoundError(f"no such file or folder: {item}")
        if item.is_dir():  # a folder the instructor names is walked; links to folders inside it are not
            for folder, dirs, names in os.walk(item, followlinks=False):
                dirs[:] = [d for d in dirs if d != ".ipynb_checkpoints"]
                found.update(Path(folder) / n for n in names if n.endswith(".ipynb"))
        else:
            found.add(item)
    return sorted(found)


def _guess_exercise(path: Path, nb: nbformat.NotebookNode, known_ids: set[str]) -> str | None:
    declared = (
        nb.metadata.get("nncourse", {}).get("exercise") if isinstance(nb.metadata.get("nncourse"), dict) else None
    )
    matches = [i for i in known_ids if i in path.name]
    if len(matches) == 1:
        return matches[0]
    return declared if declared in known_ids else None


def _strip_magics(source: str) -> str:
    """IPython magics and shell lines are not Python: turn them into comments."""
    return MAGIC.sub(r"\1# (ignored by the grader) \2", source)


def read_submission(path: Path, course_root: Path, known_ids: set[str], exercise_id: str | None = None) -> Submission:
    """Parse a submission file; never raises for a bad file (``Submission.error`` says what is wrong)."""
    path = Path(path)
    sub = Submission(path=path, student=student_name(path, known_ids), sha256="")
    by_name = [i for i in known_ids if i in path.name]
    sub.exercise_id = exercise_id or (by_name[0] if len(by_name) == 1 else None)  # known even if the file is broken
    try:
        raw = read_regular(path)
    except UnsafeFile as exc:
        sub.error = str(exc)
        return sub
    except OSError as exc:
        sub.error = f"cannot read the file ({exc.strerror})"
        return sub
    sub.sha256 = hashlib.sha256(raw).hexdigest()
    if not raw.strip():
        sub.error = "the file is empty"
        return sub
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        sub.error = f"the file is not UTF-8 text (byte {exc.start}); save it again from Jupyter"
        return sub
    if json_depth(raw) > MAX_JSON_DEPTH:
        sub.error = f"the file nests JSON more than {MAX_JSON_DEPTH} levels deep: not a notebook saved by Jupyter"
        return sub
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        sub.error = f"the file is not valid notebook JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        return sub
    try:
        with warnings.catch_warnings():  # nbformat warns about (and repairs) duplicate cell ids
            warnings.simplefilter("ignore")
            nb = nbformat.reads(text, as_version=4)
        cells = list(nb.cells)
        _ = [(c.cell_type, c.source) for c in cells]
    except Exception as exc:  # noqa: BLE001 - any structural problem is reported
        sub.error = f"the file is not a Jupyter notebook ({type(exc).__name__}: {str(exc)[:120]})"
        return sub
    version = (data.get("nbformat"), data.get("nbformat_minor")) if isinstance(data, dict) else (None, None)
    if not isinstance(version[0], int) or not isinstance(version[1], int) or version < (4, 5):
        sub.notes.append("old notebook format: converted; cells were matched by the functions they define")
    sub.exercise_id = sub.exercise_id or _guess_exercise(path, nb, known_ids)
    if sub.exercise_id is None:
        sub.error = f"cannot tell which exercise this is; name the file after it (one of {sorted(known_ids)}) or pass --exercise"
        return sub
    solution = solution_notebook(course_root, sub.exercise_id)
    sub.answers = _extract_answers(solution, cells, sub.notes)
    sub.prelude = course_prelude(solution)
    answer_ids = {solution.cells[i].get("id") for i in answer_cell_indices(solution)}  # by id: release drops cells
    sub.notes.extend(_tampering(release_notebook(solution), nb, answer_ids))
    return sub


def _extract_answers(solution: nbformat.NotebookNode, cells: list, notes: list[str]) -> list[str]:
    code = [c for c in cells if c.get("cell_type") == "code" and isinstance(c.get("source"), str)]
    by_id: dict[str, list] = {}
    for cell in code:
        by_id.setdefault(cell.get("id", ""), []).append(cell)
    answers = []
    for index in answer_cell_indices(solution):
        wanted = solution.cells[index]
        names = DEF.findall(wanted.source)
        candidates = by_id.get(wanted.get("id", "\0"), [])
        if len(candidates) > 1:
            notes.append(f"answer cell for {', '.join(names)} appears {len(candidates)} times: the last one was graded")
        if not candidates and names:  # ids lost (old format, copied cells): match by what the cell defines
            candidates = [c for c in code if re.search(rf"^(?:def|class)\s+{re.escape(names[0])}\b", c.source, re.M)]
        if not candidates:
            notes.append(f"no answer cell found for {', '.join(names) or 'a task'}: it was graded as missing")
            answers.append("")
            continue
        answers.append(_strip_magics(candidates[-1].source))
    return answers


def _tampering(exercise: nbformat.NotebookNode, nb: nbformat.NotebookNode, answer_ids: set[Any]) -> list[str]:
    notes = []
    submitted: dict[str | None, Any] = {}
    for cell in nb.cells:
        submitted.setdefault(cell.get("id"), cell)
    edited = deleted = 0
    for cell in exercise.cells:
        if cell.get("id") in answer_ids or cell.cell_type != "code":
            continue  # text cells cannot change a grade (the workspace copies rewrite their links)
        other = submitted.get(cell.get("id"))
        if other is None:
            deleted += 1
        elif other.get("source") != cell.source:
            edited += 1
    if deleted:
        notes.append(f"{deleted} of the course's cells were deleted (ignored: the course's cells were used)")
    if edited:
        notes.append(
            f"{edited} of the course's instruction or check cells were edited (ignored: the course's cells were used)"
        )
    order = [c.get("id") for c in nb.cells if c.get("id") in {x.get("id") for x in exercise.cells}]
    expected = [c.get("id") for c in exercise.cells if c.get("id") in set(order)]
    if order != expected and len(order) == len(set(order)):
        notes.append("cells were reordered (ignored: answers run in the course's order)")
    extra = len([c for c in nb.cells if c.get("id") not in {x.get("id") for x in exercise.cells}])
    if extra:
        notes.append(f"{extra} cells were added; only the answer cells are graded (put helper code inside them)")
    kernel = nb.metadata.get("kernelspec", {}) if isinstance(nb.metadata.get("kernelspec"), dict) else {}
    if kernel.get("name") != exercise.metadata.get("kernelspec", {}).get("name"):
        notes.append(f"kernelspec changed to {kernel.get('name')!r} (ignored: graded with the course's Python)")
    return notes
