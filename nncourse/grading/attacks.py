"""The built-in attack suite: submissions that try to cheat, crash or harm the grader.

Each attack is a function ``make(task_names) -> list of answer-cell sources`` (one cell holding
everything). Every attack must score 0 and leave the host unharmed; ``selftest`` proves it for each
exercise, together with "the solution scores 100%" and "the blank release scores 0%".
"""
from __future__ import annotations

from typing import Callable


def _each(body: str, head: str = "") -> Callable[[list[str]], list[str]]:
    """An attack that defines every task function with the same ``body`` (after module code ``head``)."""

    def make(names: list[str]) -> list[str]:
        defs = "\n".join(f"def {n}(*args, **kwargs):\n" + "\n".join("    " + line for line in body.splitlines()) for n in names)
        return [head + "\n" + defs]

    return make


LIAR = """
class Liar:
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __array_ufunc__(self, *a, **k): return True
    @classmethod
    def __torch_function__(cls, *a, **k): return True
    def __bool__(self): return True
    def __float__(self): return 0.0
    def __len__(self): return 0
"""

ATTACKS: dict[str, Callable[[list[str]], list[str]]] = {
    "infinite loop ignoring SIGINT": _each("while True:\n    pass", "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)"),
    "sys.exit in a task": _each("import sys\nsys.exit(0)"),
    "os._exit in a task": _each("import os\nos._exit(0)"),
    "os._exit at cell level": lambda names: ["import os\nos._exit(1)"],
    "raise SystemExit / KeyboardInterrupt / BaseException": _each("raise KeyboardInterrupt", "raise SystemExit(0)"),
    "BaseException in a task": _each("raise BaseException('stop')"),
    "memory bomb": _each("hog = [bytearray(10**8) for _ in range(10**4)]\nreturn hog"),
    "fork bomb": _each("import os\nwhile True:\n    os.fork()"),
    "detached child process": _each("import subprocess\nsubprocess.Popen(['sleep', '600'], start_new_session=True)\nreturn 0"),
    "output flood": _each("import sys\nwhile True:\n    sys.stdout.write('x' * 100000)\n    sys.stderr.write('y' * 100000)"),
    "monkeypatch numpy and builtins": _each(
        "return None",
        "import numpy as np, builtins, math\nnp.allclose = np.isclose = np.array_equal = lambda *a, **k: True\n"
        "builtins.isinstance = lambda *a: True\nmath.isclose = lambda *a, **k: True",
    ),
    "monkeypatch the checker": _each("return None", "import nncourse.checks as c\nc.compare = lambda *a, **k: None"),
    "object lying about equality": _each("return Liar()", LIAR),
    "ndarray subclass lying about equality": _each(
        "return np.zeros(1).view(LiarArray)",
        "import numpy as np\nclass LiarArray(np.ndarray):\n    def __eq__(self, other): return True\n    def __array_ufunc__(self, *a, **k): return True",
    ),
    "NaN and infinity": _each("return float('nan')"),
    "wrong dtype": _each("import numpy as np\nreturn np.array(['wrong'])"),
    "read the course's solutions": _each(
        "return None",
        "import glob, os\nfor pattern in ('../*/solutions/*.ipynb', '/work/*/solutions/*.ipynb', os.path.expanduser('~/*/solutions/*.ipynb')):\n"
        "    for p in glob.glob(pattern):\n        exec(open(p).read())",
    ),
    "import the reference implementation": _each("return None", "from nncourse.exercises import perceptron\nimport nncourse"),
    "write the grader's output files": _each(
        "return None",
        "import glob\nfor p in glob.glob('/tmp/*/grades.csv') + glob.glob('/tmp/*/*/results.jsonl'):\n"
        "    open(p, 'w').write('hacked')",
    ),
    "kill the grader": _each("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nreturn None"),
    "open a network connection": _each("import socket\nsocket.create_connection(('127.0.0.1', 22), timeout=1)\nreturn None"),
}


def selftest(course_root, exercise_ids: list[str], limits=None, jobs: int = 2, out=print, sandboxed: bool = True) -> bool:
    """For every exercise: the solution scores 100%, the blank release 0%, every attack 0%, the host unharmed."""
    import os
    import tempfile
    from concurrent.futures import ThreadPoolExecutor
    from pathlib import Path

    import nbformat

    from nncourse.checks import get_exercise
    from nncourse.grading.runner import grade_answers
    from nncourse.grading.submission import answer_cell_indices, course_prelude, solution_notebook
    from nncourse.release import release_notebook

    ok = True
    canary_dir = Path(tempfile.mkdtemp(prefix="nncourse-selftest-"))
    canary = canary_dir / "grades.csv"
    canary.write_text("canary")
    for exercise_id in exercise_ids:
        exercise = get_exercise(exercise_id)
        solution = solution_notebook(course_root, exercise_id)
        indices = answer_cell_indices(solution)
        blank = release_notebook(solution)
        names = [t.name for t in exercise.tasks]
        total = sum(t.points for t in exercise.tasks)
        runs = {"solution": [solution.cells[i].source for i in indices], "blank release": [blank.cells[i].source for i in indices]}
        runs.update({f"attack: {name}": make(names) for name, make in ATTACKS.items()})
        expected = {key: (total if key == "solution" else 0.0) for key in runs}

        def run(key):
            report = grade_answers(
                exercise, runs[key], limits=limits, course_root=Path(course_root), extra_protected=(canary_dir,), prelude=course_prelude(solution), sandboxed=sandboxed
            )
            return key, sum(t.points for t in report.tasks), report

        with ThreadPoolExecutor(max_workers=jobs) as pool:
            for key, score, report in pool.map(run, runs):
                good = abs(score - expected[key]) < 1e-9
                ok &= good
                detail = "" if good else " <-- " + "; ".join(f"{t.name}: {t.status} {t.message[:80]}" for t in report.tasks)
                out(f"{'ok  ' if good else 'FAIL'} {exercise_id:<24} {key:<55} {score:g}/{total:g}{detail}")
    harmed = canary.read_text() != "canary"
    if harmed:
        out("FAIL the grader's output file was modified by a submission")
    ok &= not harmed and os.getpid() > 0
    return ok
