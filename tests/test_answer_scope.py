"""The in-notebook check judges the code the grader grades: helpers outside the answer cells are named.

Notebook cells are simulated as IPython runs them: each cell compiled under its own file name, its
source kept in ``linecache``, all in one ``__main__`` namespace. One test runs a real kernel.
"""

from __future__ import annotations

import linecache
from itertools import count
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from nncourse.checks import FAIL, PASS, TODO, Case, Exercise, Task

_cells = count()


class Kernel:
    """A fake IPython kernel namespace: ``run(source)`` executes one cell."""

    def __init__(self) -> None:
        self.ns: dict = {"__name__": "__main__"}

    def run(self, source: str) -> None:
        filename = f"/tmp/ipykernel_0/{next(_cells)}.py"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        exec(compile(source, filename, "exec"), self.ns)


def _notebook_03() -> Kernel:
    kernel = Kernel()
    kernel.run(
        "import numpy as np\nfrom nncourse.checks import checker\ncheck = checker('03_mlp_backprop')\nimport math as m"
    )
    return kernel


def test_a_helper_in_an_added_cell_fails_the_check_and_names_where_to_move_it(capsys):
    kernel = _notebook_03()
    kernel.run("def add_bias(Z, b):\n    return Z + b")  # an added cell
    kernel.run("def linear_forward(X, W, b):\n    return add_bias(X @ W, b)")  # the answer cell
    kernel.run("check('linear_forward', linear_forward)")
    out = capsys.readouterr().out.strip()
    assert out == (
        f"{FAIL} linear_forward: helper `add_bias` is defined outside the answer cells: the grader will not"
        " see it — move it into the cell of `linear_forward`"
    )


def test_a_helper_inside_the_answer_cell_and_the_course_imports_are_fine(capsys):
    kernel = _notebook_03()
    kernel.run(
        "EPS = 0.0\n\ndef add_bias(Z, b):\n    return Z + b + EPS\n\ndef linear_forward(X, W, b):\n    return add_bias(X @ W, b)"
    )
    kernel.run("check('linear_forward', linear_forward)")
    assert capsys.readouterr().out.strip() == f"{PASS} linear_forward: all 2 cases pass"


def test_helpers_are_followed_transitively_and_imports_and_constants_are_named(capsys):
    kernel = _notebook_03()
    kernel.run("SCALE = 1.0\nimport os")
    kernel.run("def inner(Z):\n    return Z * SCALE + 0 * len(os.sep)")
    kernel.run("def linear_forward(X, W, b):\n    return helper(X @ W) + b\n\ndef helper(Z):\n    return inner(Z)")
    kernel.run("check('linear_forward', linear_forward)")
    out = capsys.readouterr().out.strip()
    assert out.startswith(f"{FAIL} linear_forward: helper `inner` is defined outside the answer cells")
    # `m` (import math as m) is not in the solution's imports either, but linear_forward does not use it
    kernel.run("def linear_forward(X, W, b):\n    return X @ W + b * m.cos(0)")
    kernel.run("check('linear_forward', linear_forward)")
    assert capsys.readouterr().out.strip() == (
        f"{FAIL} linear_forward: `m` is imported outside the answer cells: the grader"
        " will not see it — move it into the cell of `linear_forward`"
    )


def test_the_grader_agrees_it_would_not_see_the_helper(tmp_path: Path, root: Path):
    from nncourse.grading.gradebook import grade_submission
    from nncourse.grading.sandbox import sandbox_status

    nb = nbformat.read(root / "exercises" / "03_mlp_backprop.ipynb", as_version=4)
    answer = next(c for c in nb.cells if c.source.startswith("def linear_forward"))
    answer.source = "def linear_forward(X, W, b):\n    return add_bias(X @ W, b)"
    index = nb.cells.index(answer)
    nb.cells.insert(index, new_code_cell("def add_bias(Z, b):\n    return Z + b"))
    nbformat.write(nb, tmp_path / "03_mlp_backprop.ipynb")
    record = grade_submission(tmp_path / "03_mlp_backprop.ipynb", root, public=True, sandboxed=sandbox_status()[0])
    task = record["tasks"][0]
    assert task["name"] == "linear_forward" and task["status"] == "fail" and "NameError" in task["message"]


def test_a_real_kernel_names_the_helper_too(tmp_path: Path):
    from nbclient import NotebookClient

    nb = new_notebook(
        cells=[
            new_code_cell(
                "import numpy as np\nfrom nncourse.checks import checker\ncheck = checker('03_mlp_backprop')"
            ),
            new_code_cell("def add_bias(Z, b):\n    return Z + b"),
            new_code_cell("def linear_forward(X, W, b):\n    return add_bias(X @ W, b)"),
            new_code_cell("check('linear_forward', linear_forward)"),
        ]
    )
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(nb, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    assert (
        nb.cells[3]
        .outputs[0]["text"]
        .startswith(f"{FAIL} linear_forward: helper `add_bias` is defined outside the answer cells")
    )


def _toy_exercise(requires: tuple[str, ...] = ("double",)) -> Exercise:
    def cases() -> list[Case]:
        return [Case("one", (np.arange(3.0),))]

    return Exercise(
        "toy",
        "toy",
        [
            Task("double", lambda x: 2 * x, cases, cases),
            Task("quadruple", lambda x: 4 * x, cases, cases, points=2, requires=requires),
        ],
    )


def test_prerequisite_substitution_one_bug_costs_one_task(capsys):
    from nncourse.checks import Checker

    check = Checker(_toy_exercise())
    kernel = Kernel()
    kernel.ns["check"] = check
    kernel.run("def double(x):\n    return 3 * x\n\ndef quadruple(x):\n    return double(double(x))")
    kernel.run("check('double', double)\ncheck('quadruple', quadruple)\ncheck.summary()")
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"{FAIL} double: case 'one': result differs")
    assert out[1] == (
        f"{PASS} quadruple: all 1 cases pass (checked with the reference `double` in place of yours, which"
        " does not pass yet: fix task `double` first)"
    )
    assert out[2] == f"score: 2/3 points; {FAIL} wrong: double"
    assert kernel.ns["double"](1) == 3  # the learner's function is back after the check
    assert check.exercise.task("double").substitutable  # the grader substitutes it as well


def test_requires_must_name_an_earlier_task():
    with pytest.raises(ValueError, match="task 'quadruple' requires 'triple', which is not an earlier task"):
        _toy_exercise(("triple",))


def test_summary_keeps_wrong_apart_from_still_to_do(capsys):
    from nncourse.checks import Checker

    check = Checker(_toy_exercise(()))
    check("double", lambda x: 3 * x)
    check.summary()
    assert (
        capsys.readouterr().out.splitlines()[-1]
        == f"score: 0/3 points; {FAIL} wrong: double; {TODO} still to do: quadruple"
    )
    check("double", lambda x: 2 * x)
    check("quadruple", lambda x: 4 * x)
    check.summary()
    assert capsys.readouterr().out.splitlines()[-1] == "score: 3/3 points — well done!"


def test_demo_cells_catch_the_error_and_name_the_task_to_fix(capsys):
    from nncourse.checks import Checker

    check = Checker(_toy_exercise())
    kernel = Kernel()
    kernel.ns["check"] = check
    kernel.run(
        "def double(x):\n    raise NotImplementedError('todo')\n\ndef quadruple(x):\n    return double(x).reshape(7)"
    )
    kernel.ns["np"] = np
    kernel.run("with check.demo('quadruple'):\n    quadruple(np.ones(3))\n    print('never')")
    assert capsys.readouterr().out.strip() == f"{TODO} this cell waits for task `double` (not implemented yet)"
    kernel.run("def double(x):\n    return 2 * x")
    kernel.run("with check.demo('double', 'quadruple'):\n    quadruple(np.ones(3))")
    out = capsys.readouterr().out.strip()
    assert out.startswith(f"{FAIL} this cell stopped: ValueError: cannot reshape") and out.endswith(
        "— fix task `quadruple` (its check above says what is wrong)"
    )
    kernel.run("with check.demo('double'):\n    print(double(1))")
    assert capsys.readouterr().out.strip() == "2"
    with pytest.raises(KeyError, match="no task 'dubble'"):
        check.demo("dubble")
    with pytest.raises(KeyboardInterrupt), check.demo("double"):
        raise KeyboardInterrupt


def _exercise_03_with_requires():
    import dataclasses

    from nncourse.checks import Checker, get_exercise

    real = get_exercise("03_mlp_backprop")
    tasks = [dataclasses.replace(t) for t in real.tasks]
    tasks[-1] = dataclasses.replace(tasks[-1], requires=("linear_forward", "softmax_cross_entropy_backward"))
    return Checker(Exercise(real.id, real.title, tasks, prelude=real.prelude))


MLP_GRADIENTS = """def mlp_gradients(X, y, W1, b1, W2, b2):
    Z1 = linear_forward(X, W1, b1)
    H = np.maximum(Z1, 0)
    dZ2 = softmax_cross_entropy_backward(linear_forward(H, W2, b2), y)
    dZ1 = (dZ2 @ W2.T) * (Z1 > 0)
    return {"W1": X.T @ dZ1, "b1": dZ1.sum(0), "W2": H.T @ dZ2, "b2": dZ2.sum(0)}
"""
SOFTMAX = """def softmax_cross_entropy_backward(logits, y):
    P = np.exp(logits - logits.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    P[np.arange(len(y)), y] -= 1
    return P / len(y)
"""


def test_in_exercise_03_a_wrong_linear_forward_costs_only_its_own_task(capsys):
    kernel = _notebook_03()
    kernel.ns["check"] = _exercise_03_with_requires()
    kernel.run("def linear_forward(X, W, b):\n    return X @ W - b")  # wrong sign
    kernel.run(SOFTMAX)
    kernel.run(MLP_GRADIENTS)
    kernel.run("check('linear_forward', linear_forward)\ncheck('mlp_gradients', mlp_gradients)")
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"{FAIL} linear_forward: case ")
    assert out[1] == (
        f"{PASS} mlp_gradients: all 2 cases pass (checked with the reference `linear_forward` in place of"
        " yours, which does not pass yet: fix task `linear_forward` first)"
    )
    kernel.run("def linear_forward(X, W, b):\n    return X @ W + b")
    kernel.run("check('mlp_gradients', mlp_gradients)")
    assert capsys.readouterr().out.strip() == f"{PASS} mlp_gradients: all 2 cases pass"


def test_a_prerequisite_using_an_outside_helper_is_replaced_not_blamed_on_the_later_task(capsys):
    kernel = _notebook_03()
    kernel.ns["check"] = _exercise_03_with_requires()
    kernel.run("def add_bias(Z, b):\n    return Z + b")  # an added cell
    kernel.run("def linear_forward(X, W, b):\n    return add_bias(X @ W, b)")
    kernel.run(SOFTMAX)
    kernel.run(MLP_GRADIENTS)
    kernel.run("check('mlp_gradients', mlp_gradients)")
    out = capsys.readouterr().out.strip()
    assert out.startswith(f"{PASS} mlp_gradients: all 2 cases pass (checked with the reference `linear_forward`")
    assert kernel.ns["linear_forward"].__code__.co_filename.startswith("/tmp/ipykernel_0/")  # restored
