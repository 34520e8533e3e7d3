"""The gradebook's human-facing files, rebuilt from the records: CSVs, summary, feedback, Gradescope.

Every text that came from a submission (student name from the file name, messages quoting the
learner's errors) is neutralised where it lands: CSV cells that a spreadsheet would run as a
formula get a leading quote, Markdown feedback gets no raw newlines or table pipes, and file
names are made unique per submission (a hash of its path) so that no name can take another
student's feedback or Gradescope slot.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import statistics
from pathlib import Path

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "|", "%")


def cell(value: object) -> object:
    """A CSV cell a spreadsheet shows as text: strings that could start a formula get a leading quote."""
    if isinstance(value, str):
        value = value.replace("\r", " ").replace("\n", " ")
        if value.startswith(FORMULA_START):
            return "'" + value
    return value


def slot(record: dict) -> str:
    """A file-name-safe name unique to this submission: its student name plus a hash of its path."""
    name = re.sub(r"[^A-Za-z0-9_-]+", "_", str(record.get("student") or "student")).strip("_")[:60] or "student"
    return f"{name}-{hashlib.sha256(str(record['file']).encode()).hexdigest()[:10]}"


def _md(text: object) -> str:
    return re.sub(r"[\r\n\u2028\u2029]+", " ", str(text)).replace("|", "\\|").replace("<", "&lt;")


def _task_names(records: list[dict]) -> list[str]:
    names: list[str] = []
    for r in records:
        for t in r["tasks"]:
            if t["name"] not in names:
                names.append(t["name"])
    return names


def _write_csv(records: list[dict], path: Path) -> None:
    task_names = _task_names(records)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "file", "exercise", *task_names, "total", "max", "problems"])
        for r in records:
            points = {t["name"]: t["points"] for t in r["tasks"]}
            problems = "; ".join(filter(None, [r.get("error") or "", *r.get("notes", [])]))
            row = [
                r["student"],
                r["file"],
                r.get("exercise") or "",
                *[points.get(n, "") for n in task_names],
                r["score"],
                r["max_score"],
                problems,
            ]
            writer.writerow([cell(v) for v in row])


def write_reports(records: list[dict], out: Path) -> None:
    """grades.csv, grades_<exercise>.csv, summary.csv, feedback/*.md and gradescope/*/results.json."""
    _write_csv(records, out / "grades.csv")
    by_exercise: dict[str, list[dict]] = {}
    for r in records:
        by_exercise.setdefault(r.get("exercise") or "unknown", []).append(r)
    with (out / "summary.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["exercise", "task", "submissions", "mean", "median", "max", "max_points"])
        for exercise, group in sorted(by_exercise.items()):
            _write_csv(group, out / f"grades_{re.sub(r'[^A-Za-z0-9_-]+', '_', exercise)}.csv")
            for name in [*_task_names(group), "total"]:
                if name == "total":
                    values, top = [r["score"] for r in group], max((r["max_score"] for r in group), default=0)
                else:
                    values = [t["points"] for r in group for t in r["tasks"] if t["name"] == name]
                    top = max((t["max_points"] for r in group for t in r["tasks"] if t["name"] == name), default=0)
                if values:
                    row = [
                        exercise,
                        name,
                        len(values),
                        round(statistics.mean(values), 4),
                        statistics.median(values),
                        max(values),
                        top,
                    ]
                    writer.writerow([cell(v) for v in row])
    for r in records:
        name = slot(r)
        _feedback(r, out / "feedback" / f"{name}.md")
        _gradescope(r, out / "gradescope" / name / "results.json")


def _feedback(r: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        f"# Feedback: {_md(r['student'])}",
        "",
        f"Exercise `{_md(r.get('exercise') or '?')}` — **{r['score']:g} / {r['max_score']:g}** points",
        "",
    ]
    if r.get("error"):
        lines += [f"**Could not grade this submission:** {_md(r['error'])}", ""]
    if r["tasks"]:
        lines += ["| task | points | result |", "|---|---:|---|"]
        for t in r["tasks"]:
            mark = "✓" if t["status"] == "pass" else ("…" if t["status"] == "todo" else "✗")
            lines.append(f"| `{_md(t['name'])}` | {t['points']:g} / {t['max_points']:g} | {mark} {_md(t['message'])} |")
        lines.append("")
    notes = list(r.get("cell_errors", [])) + list(r.get("notes", []))
    if notes:
        lines += ["Notes:", *[f"- {_md(n)}" for n in notes], ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def gradescope_result(r: dict) -> dict:
    """One record in Gradescope's ``results.json`` format."""
    return {
        "score": r["score"],
        "output": r.get("error") or "; ".join(r.get("notes", [])),
        "tests": [
            {
                "name": t["name"],
                "score": t["points"],
                "max_score": t["max_points"],
                "output": t["message"],
                "status": "passed" if t["status"] == "pass" else "failed",
            }
            for t in r["tasks"]
        ],
    }


def _gradescope(r: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(gradescope_result(r), indent=2), encoding="utf-8")
