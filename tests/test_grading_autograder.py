"""Gradescope's autograder zip, run locally in a temporary tree shaped like Gradescope's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from attacks.build import write_honest, write_submission

from nncourse.commands.cli import main
from nncourse.grading.sandbox import sandbox_status

ROOT = Path(__file__).resolve().parent.parent
EXERCISE = "01_perceptron"
SANDBOXED = sandbox_status()[0]


def _gradescope_tree(tmp: Path, capsys) -> Path:
    flags = [] if SANDBOXED else ["--unsafe-no-sandbox"]
    assert main(["grade", "--gradescope-autograder", EXERCISE, "--out", str(tmp), "--task-timeout", "3", *flags]) == 0
    assert "autograder_01_perceptron.zip" in capsys.readouterr().out
    root = tmp / "autograder"
    with zipfile.ZipFile(tmp / f"autograder_{EXERCISE}.zip") as archive:
        names = set(archive.namelist())
        assert {
            "setup.sh",
            "run_autograder",
            "grading.json",
            f"course/solutions/{EXERCISE}.ipynb",
            "course/nncourse/grading/worker.py",
        } <= names
        assert not any(n.startswith(("course/tests", "course/exercises")) for n in names)
        archive.extractall(root / "source")
    (root / "source" / "run_autograder").chmod(0o755)
    for script in ("setup.sh", "run_autograder"):  # setup.sh needs the network: only its syntax is checked here
        assert subprocess.run(["bash", "-n", str(root / "source" / script)], check=False).returncode == 0
    return root


def _run(root: Path) -> dict:
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "NNCOURSE_PYTHON": sys.executable}
    env.pop("PYTHONPATH", None)
    done = subprocess.run(
        ["bash", str(root / "source" / "run_autograder")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads((root / "results" / "results.json").read_text())


def test_autograder_grades_a_submission_like_gradescope(tmp_path: Path, capsys):
    root = _gradescope_tree(tmp_path, capsys)
    write_honest(root / "submission", EXERCISE, "alice")
    result = _run(root)
    assert result["score"] == 4.0 and {t["name"] for t in result["tests"]} == {"predict", "update", "train_perceptron"}
    assert all(t["status"] == "passed" for t in result["tests"])


@pytest.mark.skipif(not SANDBOXED, reason="needs the sandbox")
def test_a_submission_cannot_write_its_own_gradescope_result(tmp_path: Path, capsys):
    root = _gradescope_tree(tmp_path, capsys)
    target = root / "results" / "results.json"
    forge = (
        "import json, os\nforged = json.dumps({'score': 100})\n"
        f"for path in ({str(target)!r}, '/autograder/results/results.json'):\n"
        "    for attempt in (lambda: open(path, 'w').write(forged), lambda: os.write(os.open(path.lstrip('/'), os.O_WRONLY | os.O_CREAT, dir_fd=os.open('/', os.O_RDONLY)), forged.encode())):\n"
        "        try:\n            attempt()\n        except BaseException:\n            pass\n"
    )
    write_submission(root / "submission", "mallory", EXERCISE, [forge])
    result = _run(root)
    assert result["score"] == 0.0 and len(result["tests"]) == 3
