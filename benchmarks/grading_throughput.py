"""Grading throughput: 100 submissions of exercise 01, ours vs one-kernel-per-notebook serial grading.

    python benchmarks/grading_throughput.py [--n 100] [--baseline-sample 20] [--also-unsandboxed]

The mix: 40% correct, 30% partly correct, 20% blank, 10% broken (an infinite loop, os._exit, a
malformed file). Ours: `nncourse.grading.gradebook.grade_many` with one worker per core, every
worker in the bubblewrap sandbox (``--also-unsandboxed`` adds a row without it). Baseline
(nbgrader's model): each notebook executed top to bottom in a fresh Jupyter kernel with nbclient,
one after the other, a 10 s cell timeout; run on a sample and reported per submission.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from nncourse.grading.gradebook import grade_many  # noqa: E402
from nncourse.grading.sandbox import sandbox_status  # noqa: E402
from nncourse.grading.submission import answer_cell_indices, solution_notebook  # noqa: E402

EXERCISE = "01_perceptron"


def make_submissions(folder: Path, n: int) -> list[Path]:
    solution = solution_notebook(ROOT, EXERCISE)
    good = {
        solution.cells[i].source.split("(")[0].removeprefix("def "): solution.cells[i].source
        for i in answer_cell_indices(solution)
    }
    wrong = {"predict": "def predict(X, w, b):\n    return (X @ w + b >= 0).astype(int)\n"}
    broken = [
        {"update": "def update(*a, **k):\n    while True:\n        pass\n"},
        {"predict": "import os\nos._exit(1)\n"},
        None,
    ]
    paths = []
    for k in range(n):
        kind = k % 10
        path = folder / f"student{k:03d}_{EXERCISE}.ipynb"
        if kind == 9 and broken[k // 10 % 3] is None:
            path.write_text("{ not a notebook")
            paths.append(path)
            continue
        answers = (
            good if kind < 4 else {**good, **wrong} if kind < 7 else {} if kind < 9 else {**good, **broken[k // 10 % 3]}
        )
        nb = nbformat.read(ROOT / "exercises" / f"{EXERCISE}.ipynb", as_version=4)
        for cell in nb.cells:
            for task, source in answers.items():
                if cell.cell_type == "code" and cell.source.startswith(f"def {task}("):
                    cell.source = source
        nbformat.write(nb, path)
        paths.append(path)
    return paths


def baseline(paths: list[Path]) -> float:
    start = time.perf_counter()
    for path in paths:
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception:  # noqa: BLE001 - a malformed file costs nothing here
            continue
        client = NotebookClient(
            nb,
            timeout=10,
            kernel_name="python3",
            allow_errors=True,
            resources={"metadata": {"path": str(ROOT / "exercises")}},
        )
        try:
            client.execute()
        except Exception:  # noqa: BLE001 - a dead or hung kernel: nbgrader would record an error
            pass
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--baseline-sample", type=int, default=20)
    parser.add_argument("--also-unsandboxed", action="store_true", help="add a row graded without the sandbox")
    args = parser.parse_args()
    works, why = sandbox_status()
    if not works:
        print(f"no sandbox here ({why}): install bubblewrap to measure the grader as instructors run it")
        return 1
    tmp = Path(tempfile.mkdtemp(prefix="nncourse-bench-"))
    try:
        (tmp / "subs").mkdir()
        paths = make_submissions(tmp / "subs", args.n)
        rows = []
        for sandboxed in (True, False) if args.also_unsandboxed else (True,):
            start = time.perf_counter()
            records = grade_many([tmp / "subs"], tmp / f"out-{sandboxed}", ROOT, progress=False, sandboxed=sandboxed)
            seconds = time.perf_counter() - start
            label = f"nncourse grade ({os.cpu_count()} workers, {'sandboxed' if sandboxed else 'NO sandbox'})"
            rows.append((label, len(paths), seconds, records))
        step = max(1, len(paths) // args.baseline_sample)
        sample = paths[::step][: args.baseline_sample]
        base = baseline(sample)
        base_each = base / len(sample)
        print(f"{'grader':<44} {'submissions':>11} {'seconds':>8} {'s/submission':>13}")
        for label, n, seconds, _ in rows:
            print(f"{label:<44} {n:>11} {seconds:8.1f} {seconds / n:13.3f}")
        print(f"{'one kernel per notebook, serial (nbgrader)':<44} {len(sample):>11} {base:8.1f} {base_each:13.3f}")
        records = rows[0][3]
        ours_each = rows[0][2] / rows[0][1]
        no_grade = sum(1 for r in records if r.get("error") and "internal" in r["error"])
        print(
            f"speed-up (sandboxed): {base_each / ours_each:.1f}x; internal errors: {no_grade}; mean score {sum(r['score'] for r in records) / len(records):.2f} / 4"
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
