"""Grade many submissions in parallel and write the gradebook, resumable and idempotent.

Output folder:
    results.jsonl                one line per graded submission, appended as each finishes
    grades.csv                   one row per student, one column per task, total (rebuilt from results.jsonl)
    feedback/<student>.md        per-task score and message (never the grading code or inputs)
    gradescope/<student>/results.json   Gradescope's autograder format

A submission already in results.jsonl with the same file content (sha256) is not graded again, so
an interrupted run resumes where it stopped and a re-run changes nothing. Submissions are only read.
"""
from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict
from pathlib import Path

from tqdm.auto import tqdm

from nncourse.checks import EXERCISES, get_exercise
from nncourse.grading.runner import Limits, grade_answers
from nncourse.grading.submission import Submission, read_submission


def grade_submission(
    path: Path, course_root: Path, *, exercise_id: str | None = None, public: bool = False, limits: Limits | None = None,
    protected: tuple[Path, ...] = (), sandboxed: bool = True, seed: int | None = None, policy: str = "all",
) -> dict:
    """Grade one file; always returns a record (an unreadable file or an internal error scores 0 with a message)."""
    sub = read_submission(path, course_root, set(EXERCISES), exercise_id)
    record = {"file": str(path), "student": sub.student, "sha256": sub.sha256, "exercise": sub.exercise_id, "notes": sub.notes, "cell_errors": [], "error": sub.error}
    try:
        exercise = get_exercise(sub.exercise_id) if sub.exercise_id else None
    except KeyError as exc:
        exercise, record["error"] = None, str(exc)
    record["max_score"] = float(sum(t.points for t in exercise.tasks)) if exercise else 0.0
    record["tasks"] = [{"name": t.name, "points": 0.0, "max_points": t.points, "status": "missing", "message": sub.error or ""} for t in (exercise.tasks if exercise else [])]
    if sub.error is None and exercise is not None:
        try:
            report = grade_answers(
                exercise, sub.answers, public=public, limits=limits, course_root=course_root, extra_protected=protected, prelude=sub.prelude,
                sandboxed=sandboxed, seed=seed, policy=policy,
            )
            record["tasks"] = [asdict(t) for t in report.tasks]
            record["cell_errors"] = report.cell_errors
        except Exception as exc:  # noqa: BLE001 - never lose a submission to a grader bug
            record["error"] = f"internal grader error ({type(exc).__name__}: {exc}); please report it"
    record["score"] = round(sum(t["points"] for t in record["tasks"]), 2)
    return record


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "student"


def _load(results: Path) -> list[dict]:
    records = []
    if results.exists():
        for line in results.read_text(encoding="utf-8").splitlines():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # a line cut by an interruption: that submission is graded again
    return records


def collect(inputs: list[Path]) -> list[Path]:
    """Files given, plus every ``*.ipynb`` under folders given; sorted, without checkpoints."""
    found: list[Path] = []
    for item in inputs:
        item = Path(item)
        found.extend(sorted(p for p in item.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts) if item.is_dir() else [item])
    return sorted(set(found))


def grade_many(
    inputs: list[Path], out: Path, course_root: Path, *, exercise_id: str | None = None, jobs: int | None = None, limits: Limits | None = None,
    progress: bool = True, sandboxed: bool = True,
) -> list[dict]:
    """Grade every submission not graded yet; write all outputs; return the records of this gradebook."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    results = out / "results.jsonl"
    done = {(r["file"], r["sha256"]) for r in _load(results) if r.get("sha256")}
    files = collect(inputs)
    todo = []
    for path in files:
        try:
            key = (str(path), hashlib.sha256(path.read_bytes()).hexdigest())
        except OSError:
            key = (str(path), "")
        if key not in done:
            todo.append(path)
    if results.exists() and results.stat().st_size and not results.read_bytes().endswith(b"\n"):
        with results.open("a", encoding="utf-8") as sink:  # a line cut by an interruption: end it
            sink.write("\n")
    lock = threading.Lock()
    jobs = jobs or max(1, os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=jobs) as pool, results.open("a", encoding="utf-8") as sink:
        futures = [pool.submit(grade_submission, p, course_root, exercise_id=exercise_id, limits=limits, protected=(out.resolve(),), sandboxed=sandboxed) for p in todo]
        for future in tqdm(as_completed(futures), total=len(futures), desc="grading", disable=not progress):
            record = future.result()
            with lock:
                sink.write(json.dumps(record) + "\n")
                sink.flush()
                os.fsync(sink.fileno())
    records = _latest(_load(results), files)
    write_reports(records, out)
    return records


def _latest(records: list[dict], files: list[Path]) -> list[dict]:
    """The newest record of each file given (in file order)."""
    by_file = {r["file"]: r for r in records}
    return [by_file[str(p)] for p in files if str(p) in by_file]


def write_reports(records: list[dict], out: Path) -> None:
    """grades.csv, feedback/*.md and gradescope/*/results.json for these records."""
    names: dict[str, int] = {}
    task_names: list[str] = []
    for r in records:
        for t in r["tasks"]:
            if t["name"] not in task_names:
                task_names.append(t["name"])
    with (out / "grades.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "file", "exercise", *task_names, "total", "max", "problems"])
        for r in records:
            key = _safe(r["student"])
            names[key] = names.get(key, 0) + 1
            student = key if names[key] == 1 else f"{key}_{names[key]}"
            points = {t["name"]: t["points"] for t in r["tasks"]}
            problems = "; ".join(filter(None, [r.get("error") or ""] + r.get("notes", [])))
            writer.writerow([r["student"], r["file"], r.get("exercise") or "", *[points.get(n, "") for n in task_names], r["score"], r["max_score"], problems])
            _feedback(r, out / "feedback" / f"{student}.md")
            _gradescope(r, out / "gradescope" / student / "results.json")


def _feedback(r: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"# Feedback: {r['student']}", "", f"Exercise `{r.get('exercise') or '?'}` — **{r['score']:g} / {r['max_score']:g}** points", ""]
    if r.get("error"):
        lines += [f"**Could not grade this submission:** {r['error']}", ""]
    if r["tasks"]:
        lines += ["| task | points | result |", "|---|---:|---|"]
        for t in r["tasks"]:
            mark = "✓" if t["status"] == "pass" else ("…" if t["status"] == "todo" else "✗")
            message = str(t["message"]).replace("|", "\\|").replace("\n", " ")
            lines.append(f"| `{t['name']}` | {t['points']:g} / {t['max_points']:g} | {mark} {message} |")
        lines.append("")
    notes = r.get("cell_errors", []) + r.get("notes", [])
    if notes:
        lines += ["Notes:", *[f"- {n}" for n in notes], ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def _gradescope(r: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    result = {
        "score": r["score"],
        "output": r.get("error") or "; ".join(r.get("notes", [])),
        "tests": [{"name": t["name"], "score": t["points"], "max_score": t["max_points"], "output": t["message"], "status": "passed" if t["status"] == "pass" else "failed"} for t in r["tasks"]],
    }
    path.write_text(json.dumps(result, indent=2), encoding="utf-8")
