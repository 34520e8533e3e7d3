"""Gradescope's autograder: a zip that grades one submission per Gradescope container.

``nncourse grade --gradescope-autograder EXERCISE --out DIR`` writes ``DIR/autograder_EXERCISE.zip``:

    setup.sh          run once by Gradescope when it builds the image (as root, Ubuntu): installs
                      Python, bubblewrap and the course's pinned environment (constraints.txt)
    run_autograder    run per submission: grades the notebook in /autograder/submission, in the
                      sandbox, into /autograder/results/results.json
    course/           the package, the exercise's solution notebook, pyproject.toml, constraints.txt
    grading.json      the exercise, the grading seed (drawn now: the same for the whole class),
                      the partial-credit policy, the limits and whether the sandbox is required

Everything is kept under ``$AUTOGRADER_ROOT`` (default ``/autograder``), so the same files run in a
local tree shaped like Gradescope's (``tests/test_grading_autograder.py`` does that).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import tempfile
import zipfile
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nncourse.grading.runner import Limits

SETUP = """#!/usr/bin/env bash
# Gradescope image build (root, Ubuntu): Python, bubblewrap (the grader's sandbox), the course's pinned environment.
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq python3 python3-venv python3-pip bubblewrap >/dev/null
python3 -m venv "$ROOT/venv"
"$ROOT/venv/bin/python" -m pip install --quiet --upgrade pip
"$ROOT/venv/bin/python" -m pip install --quiet -c "$ROOT/source/course/constraints.txt" ${TORCH_PIP_ARGS:-} torch
"$ROOT/venv/bin/python" -m pip install --quiet -c "$ROOT/source/course/constraints.txt" "$ROOT/source/course"
"$ROOT/venv/bin/python" -c "from nncourse.grading.sandbox import sandbox_status; print('sandbox:', sandbox_status())"
"""

RUN = """#!/usr/bin/env bash
# Gradescope, once per submission: grade /autograder/submission into /autograder/results/results.json.
set -uo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
PYTHON="${NNCOURSE_PYTHON:-$ROOT/venv/bin/python}"
mkdir -p "$ROOT/results"
cd "$ROOT/source/course"
PYTHONPATH="$ROOT/source/course" exec "$PYTHON" -m nncourse.grading.autograder \\
    --config "$ROOT/source/grading.json" --submission "$ROOT/submission" --results "$ROOT/results/results.json"
"""


def build_autograder(
    course_root: Path,
    exercise_id: str,
    out: Path,
    *,
    limits: Limits | None = None,
    policy: str = "all",
    seed: int | None = None,
    sandboxed: bool = True,
) -> Path:
    """Write ``out/autograder_<exercise>.zip``; returns its path."""
    from nncourse.checks import get_exercise
    from nncourse.grading.runner import Limits

    get_exercise(exercise_id)  # an unknown id fails here, with the known ones listed
    course_root = Path(course_root)
    solution = course_root / "solutions" / f"{exercise_id}.ipynb"
    if not solution.exists():
        raise FileNotFoundError(f"no solution notebook for {exercise_id} at {solution}")
    config = {
        "exercise": exercise_id,
        "seed": secrets.randbelow(2**31) if seed is None else int(seed),
        "policy": policy,
        "limits": asdict(limits or Limits()),
        "sandboxed": sandboxed,
    }
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"autograder_{exercise_id}.zip"
    package = Path(__file__).resolve().parents[1]
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in (("setup.sh", SETUP), ("run_autograder", RUN)):
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o755 << 16
            archive.writestr(info, text)
        archive.writestr("grading.json", json.dumps(config, indent=2) + "\n")
        for path in sorted(package.rglob("*.py")) + sorted(package.rglob("py.typed")):
            if "__pycache__" not in path.parts:
                archive.write(path, f"course/nncourse/{path.relative_to(package)}")
        for name in ("pyproject.toml", "constraints.txt", "README.md"):
            if (course_root / name).exists():
                archive.write(course_root / name, f"course/{name}")
        archive.write(solution, f"course/solutions/{exercise_id}.ipynb")
    return target


def _pick(submission: Path, exercise_id: str) -> Path | None:
    """The submitted notebook: the one named after the exercise, else the only one."""
    notebooks = sorted(p for p in submission.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    named = [p for p in notebooks if exercise_id in p.name]
    return named[0] if named else (notebooks[0] if len(notebooks) == 1 else None)


def run(config_path: Path, submission: Path, results: Path) -> int:
    """Grade the submission folder; always writes ``results`` (a grader failure is reported there)."""
    from nncourse.grading.gradebook import grade_submission
    from nncourse.grading.reports import gradescope_result
    from nncourse.grading.runner import Limits
    from nncourse.grading.sandbox import sandbox_status

    config = json.loads(Path(config_path).read_text())
    exercise_id = config["exercise"]
    course_root = Path.cwd()
    works, why = sandbox_status()
    notebook = _pick(Path(submission), exercise_id)
    if config.get("sandboxed", True) and not works:
        result: dict[str, Any] = {
            "score": 0,
            "output": f"The autograder could not start its sandbox ({why}); nothing was run. Please tell your instructor.",
        }
    elif notebook is None:
        result = {"score": 0, "output": f"No notebook found: submit your {exercise_id}.ipynb."}
    else:
        limits = Limits(**config.get("limits", {}))
        record = grade_submission(
            notebook,
            course_root,
            exercise_id=exercise_id,
            limits=limits,
            sandboxed=config.get("sandboxed", True) and works,
            seed=config["seed"],
            policy=config.get("policy", "all"),
        )
        result = gradescope_result(record)
        result["output"] = "; ".join(filter(None, [result["output"], *record.get("cell_errors", [])]))[:5000]
    results.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkstemp(dir=results.parent, prefix=".results-")[1])
    partial.write_text(json.dumps(result, indent=2))
    os.replace(partial, results)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Gradescope run_autograder entry point")
    parser.add_argument("--config", required=True)
    parser.add_argument("--submission", required=True)
    parser.add_argument("--results", required=True)
    args = parser.parse_args(argv)
    return run(Path(args.config), Path(args.submission), Path(args.results))


if __name__ == "__main__":
    sys.exit(main())
