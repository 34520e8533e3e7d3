"""``nncourse check`` (one exercise notebook) and ``nncourse progress`` (every exercise in the workspace).

Both grade with the grader itself, on the public cases, so what they print is what grading will
do with those cases. Scores are in points; a task is passing (✓), wrong (✗: wrong result, error,
crash or time-out) or still to do (…: not implemented, or its answer cell is missing).

From a notebook (chapter 00)::

    from nncourse.commands.progress import progress
    progress()        # prints the table; returns its rows
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from nncourse.checks import FAIL, PASS, TODO, points

COURSE_ROOT = Path(__file__).resolve().parents[2]
EXIT_PASS, EXIT_NOT_DONE, EXIT_CANNOT = 0, 1, 2
"""``nncourse check`` exit codes: every task passes / a task is wrong or still to do / not gradable."""
WRONG = ("fail", "crash", "timeout")
STILL_TO_DO = ("todo", "missing")


def mark(status: str) -> str:
    return PASS if status == "pass" else TODO if status in STILL_TO_DO else FAIL


def lecture_of(path: Path) -> str | None:
    """The chapter's stem when ``path`` is a lecture notebook (not an exercise), else ``None``."""
    path = Path(path)
    try:
        meta = json.loads(path.read_text(encoding="utf-8")).get("metadata", {}).get("nncourse", {})
    except (OSError, ValueError, AttributeError):
        meta = {}
    meta = meta if isinstance(meta, dict) else {}
    if meta.get("exercise"):
        return None
    if meta.get("lecture"):
        return str(meta["lecture"])
    if path.name.startswith("lecture-") or path.parent.name in ("notebooks", "lectures"):
        return path.stem.removeprefix("lecture-")
    return None


def _exercise_for(path: Path, stem: str, course_root: Path) -> str:
    candidates = [Path(path).parent.parent / "exercises" / f"exercise-{stem}.ipynb"]  # next to a workspace lecture
    candidates += [
        Path(course_root) / "workspace" / "exercises" / f"exercise-{stem}.ipynb",
        Path(course_root) / "exercises" / f"{stem}.ipynb",
    ]
    for where in candidates:
        if where.exists():
            return f"; its exercise is {where}"
    return "; this chapter has no exercise"


@dataclass
class Row:
    exercise: str
    score: float
    max_score: float
    passed: int
    wrong: int
    todo: int
    note: str = ""


def grade_public(path: Path, course_root: Path, exercise_id: str | None = None) -> dict:
    from nncourse.grading.gradebook import grade_submission
    from nncourse.grading.sandbox import sandbox_status

    # a learner checking their own notebook runs their own code: the sandbox is used where it works
    sandboxed = sandbox_status()[0]
    return grade_submission(Path(path), Path(course_root), exercise_id=exercise_id, public=True, sandboxed=sandboxed)


def run_check(
    path: Path, course_root: Path, exercise_id: str | None = None, out: Callable[[str], object] = print
) -> int:
    """``nncourse check``: one line per task, then the score in points; returns the exit code."""
    stem = lecture_of(path) if exercise_id is None else None
    if stem is not None:
        out(
            f"{path} is a lecture notebook, not an exercise: there is nothing to check{_exercise_for(path, stem, course_root)}"
        )
        return EXIT_CANNOT
    record = grade_public(path, course_root, exercise_id)
    if record["error"]:
        out(f"{FAIL} {record['error']}")
        return EXIT_CANNOT
    for task in record["tasks"]:
        out(f"{mark(task['status'])} {task['name']} ({points(task['max_points'])}): {task['message']}")
    for note in record["cell_errors"] + record["notes"]:
        out(f"  note: {note}")
    wrong = [t["name"] for t in record["tasks"] if t["status"] in WRONG]
    todo = [t["name"] for t in record["tasks"] if t["status"] in STILL_TO_DO]
    line = f"score: {record['score']:g}/{points(record['max_score'])} (public checks; grading uses other cases)"
    if wrong:
        line += f"; {FAIL} wrong: {', '.join(wrong)}"
    if todo:
        line += f"; {TODO} still to do: {', '.join(todo)}"
    out(line)
    return EXIT_NOT_DONE if wrong or todo else EXIT_PASS


def progress_rows(course_root: Path = COURSE_ROOT, workspace: Path | None = None) -> list[Row]:
    """One row per exercise of the course, graded from the learner's workspace copy."""
    from nncourse.checks import EXERCISES, get_exercise
    from nncourse.commands.workspace import workspace_path

    workspace = Path(workspace) if workspace is not None else Path(course_root) / "workspace"
    rows = []
    for exercise_id in sorted(EXERCISES):
        path = workspace_path(workspace, "exercises", f"{exercise_id}.ipynb")
        if not path.exists():
            max_score = float(get_exercise(exercise_id).max_points)
            rows.append(Row(exercise_id, 0.0, max_score, 0, 0, 0, "not in your workspace (run `nncourse workspace`)"))
            continue
        record = grade_public(path, course_root, exercise_id)
        statuses = [t["status"] for t in record["tasks"]]
        rows.append(
            Row(
                exercise_id,
                record["score"],
                record["max_score"],
                statuses.count("pass"),
                sum(s in WRONG for s in statuses),
                sum(s in STILL_TO_DO for s in statuses),
                record["error"] or "",
            )
        )
    return rows


def format_table(rows: list[Row]) -> str:
    """The progress table: exercise, score in points, and how many tasks pass, are wrong, are to do."""
    width = max([len("exercise")] + [len(r.exercise) for r in rows])
    lines = [f"{'exercise':<{width}}  {'score':>13}  {PASS + ' pass':>6}  {FAIL + ' wrong':>7}  {TODO + ' to do':>7}"]
    for r in rows:
        score = f"{r.score:g}/{r.max_score:g} points"
        lines.append(
            f"{r.exercise:<{width}}  {score:>13}  {r.passed:>6}  {r.wrong:>7}  {r.todo:>7}"
            + (f"  {r.note}" if r.note else "")
        )
    total = f"{sum(r.score for r in rows):g}/{sum(r.max_score for r in rows):g} points"
    lines.append(
        f"{'total':<{width}}  {total:>13}  {sum(r.passed for r in rows):>6}  {sum(r.wrong for r in rows):>7}  {sum(r.todo for r in rows):>7}"
    )
    return "\n".join(lines)


def progress(
    course_root: Path = COURSE_ROOT, workspace: Path | None = None, out: Callable[[str], object] = print
) -> list[Row]:
    """Print where the learner stands in every exercise (public checks); return the rows."""
    rows = progress_rows(course_root, workspace)
    out(format_table(rows))
    return rows
