"""Run every course notebook once, in a fresh kernel, and print a table of wall time and result.

    python benchmarks/notebook_times.py                  # print the table
    python benchmarks/notebook_times.py --update-readme  # also rewrite the README's course map

Lecture notebooks (notebooks/) and solutions run as stored; exercises run blank, as a learner
first opens them. A notebook's "result" is the last line printed by its cell tagged ``result``.
Nothing is written back into the notebooks. Timings are for this machine: run it on a 2-core
CPU to compare with the course's budget (60 s per notebook, 10 min for all of them).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from nncourse.commands.refresh import execute_notebook  # noqa: E402

FOLDERS = ("notebooks", "solutions", "exercises")
START, END = "<!-- course-map:start -->", "<!-- course-map:end -->"
BUDGET_NOTEBOOK_S, BUDGET_COURSE_S = 60.0, 600.0


def _title(nb: nbformat.NotebookNode) -> str:
    first = next(c.source for c in nb.cells if c.cell_type == "markdown")
    return first.splitlines()[0].lstrip("# ").strip()


def _result(nb: nbformat.NotebookNode) -> str:
    for cell in nb.cells:
        if "result" in cell.get("metadata", {}).get("tags", []):
            lines = [
                line for o in cell.outputs if o.output_type == "stream" for line in o.text.splitlines() if line.strip()
            ]
            return lines[-1].strip() if lines else ""
    return ""


def run_all(folders: tuple[str, ...] = FOLDERS) -> list[dict]:
    rows = []
    for folder in folders:
        for path in sorted((ROOT / folder).glob("*.ipynb")):
            with tempfile.TemporaryDirectory() as tmp:  # run a copy: the repository is never modified
                copy = Path(tmp) / folder / path.name
                copy.parent.mkdir()
                shutil.copy(path, copy)
                nb, seconds = execute_notebook(copy, timeout=600, write=False)
            rows.append(
                {"folder": folder, "name": path.name, "title": _title(nb), "seconds": seconds, "result": _result(nb)}
            )
            print(f"  {folder}/{path.name}: {seconds:.1f} s", file=sys.stderr)
    return rows


def course_map(rows: list[dict]) -> str:
    lecture = [r for r in rows if r["folder"] == "notebooks"]
    by_name = {(r["folder"], r["name"]): r for r in rows}
    lines = [
        "| notebook | CPU time | result | exercise (blank / solution) |",
        "|---|---:|---|---|",
    ]
    for r in lecture:
        ex, sol = by_name.get(("exercises", r["name"])), by_name.get(("solutions", r["name"]))
        exercise = (
            f"[exercise](exercises/{r['name']}) {ex['seconds']:.0f} s / [solution](solutions/{r['name']}) {sol['seconds']:.0f} s"
            if ex and sol
            else "—"
        )
        result = r["result"].replace("|", "\\|")
        lines.append(f"| [{r['title']}](notebooks/{r['name']}) | {r['seconds']:.0f} s | {result} | {exercise} |")
    total = sum(r["seconds"] for r in rows)
    slowest = max(rows, key=lambda r: r["seconds"])
    cpu = f"{platform.machine()}, {os.cpu_count()} cores, torch 1 thread"
    lines.append("")
    lines.append(
        f"Whole course ({len(rows)} notebooks: lectures, solutions, blank exercises): **{total:.0f} s** "
        f"(budget {BUDGET_COURSE_S:.0f} s); slowest {slowest['folder']}/{slowest['name']} {slowest['seconds']:.0f} s "
        f"(budget {BUDGET_NOTEBOOK_S:.0f} s). Measured with `make benchmark` on {cpu}; each time includes "
        "starting a kernel and importing torch (about 3 s)."
    )
    return "\n".join(lines)


def update_readme(table: str) -> None:
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise SystemExit(f"README.md lacks the markers {START} ... {END}")
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
    readme.write_text(pattern.sub(lambda _: f"{START}\n{table}\n{END}", text), encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update-readme", action="store_true", help="rewrite the course map in README.md")
    args = parser.parse_args()
    rows = run_all()
    print(f"{'notebook':<36} {'seconds':>8}  result")
    for r in rows:
        print(f"{r['folder'] + '/' + r['name']:<36} {r['seconds']:8.1f}  {r['result']}")
    total = sum(r["seconds"] for r in rows)
    print(f"{'total':<36} {total:8.1f}")
    over = [r for r in rows if r["seconds"] > BUDGET_NOTEBOOK_S]
    if args.update_readme:
        update_readme(course_map(rows))
        print("README.md course map updated", file=sys.stderr)
    if over or total > BUDGET_COURSE_S:
        print(f"OVER BUDGET: {[r['name'] for r in over]} total {total:.0f} s", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
