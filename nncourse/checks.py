"""Self-checks for exercise notebooks: run the learner's function on cases, compare with the reference.

In an exercise notebook::

    from nncourse.checks import checker
    check = checker("01_perceptron")
    ...
    check("predict", predict)      # prints ✓, ✗ with a message, or "not implemented yet"

A check never raises: a blank exercise notebook runs top to bottom. The same task definitions
serve the grader, which uses other cases (``Task.grading_cases``) than the public ones.
"""
from __future__ import annotations

import copy
import importlib
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from nncourse.exercises import EXERCISES  # the static registry: imports no exercise, no torch

PASS, FAIL, TODO = "✓", "✗", "…"


@dataclass
class Case:
    """One call of a task's function: ``fn(*args, **kwargs)``; ``label`` names it in messages."""

    label: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    hint: str = ""


Verifier = Callable[[Case, Any, Any], "str | None"]
"""``verify(case, expected, got) -> None`` when ``got`` is acceptable, else a message for the learner."""


@dataclass
class Task:
    """A graded task: the function the learner writes, its reference, and its cases.

    ``public_cases`` feed the in-notebook check; ``grading_cases`` (other inputs, other seeds) feed
    the grader. ``verify`` defaults to ``compare`` with the given tolerances.
    """

    name: str
    reference: Callable[..., Any]
    public_cases: Callable[[], list[Case]]
    grading_cases: Callable[..., list[Case]]  # optional argument: a seed (the grader draws it at grade time)
    points: int = 1
    rtol: float = 1e-6
    atol: float = 1e-8
    verify: Verifier | None = None
    outputs: tuple[str, ...] = ()
    """Names of the items of a tuple result, used in messages ("w differs at ..." not "result[0] ...")."""
    substitutable: bool = False
    """When the learner's version fails, the grader answers later calls to it with the reference
    (for cheap functions that later tasks call, e.g. a single update step)."""

    def check_one(self, case: Case, got: Any) -> str | None:
        expected = self.reference(*copy.deepcopy(case.args), **copy.deepcopy(case.kwargs))
        if self.verify is not None:
            return self.verify(case, expected, got)
        if self.outputs and isinstance(expected, tuple) and isinstance(got, (tuple, list)) and len(got) == len(expected):
            for name, e, g in zip(self.outputs, expected, got):
                msg = compare(e, g, rtol=self.rtol, atol=self.atol, what=name)
                if msg:
                    return msg
            return None
        return compare(expected, got, rtol=self.rtol, atol=self.atol)


@dataclass
class CheckResult:
    task: str
    status: str  # PASS, FAIL or TODO
    message: str
    cases: int = 0

    @property
    def passed(self) -> bool:
        return self.status == PASS

    def __str__(self) -> str:
        return f"{self.status} {self.task}: {self.message}"


def compare(expected: Any, got: Any, *, rtol: float = 1e-6, atol: float = 1e-8, what: str = "result") -> str | None:
    """``None`` when ``got`` matches ``expected``, else a message saying what differs and where.

    Arrays: type, shape, then the first element outside ``atol + rtol * |expected|``. Tuples and
    lists: length, then element by element; dicts: keys, then value by value. Numbers: within tolerance; bools and ints exactly.
    """
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return f"{what} should be a dict with keys {sorted(expected)}, got {_kind(got)}"
        if set(got) != set(expected):
            return f"{what} should have keys {sorted(expected)}, got {sorted(got, key=str)}"
        for key in expected:
            msg = compare(expected[key], got[key], rtol=rtol, atol=atol, what=f"{what}[{key!r}]")
            if msg:
                return msg
        return None
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)):
            return f"{what} should be a {type(expected).__name__} of {len(expected)} items, got {_kind(got)}"
        if len(got) != len(expected):
            return f"{what} should have {len(expected)} items, got {len(got)}"
        for i, (e, g) in enumerate(zip(expected, got)):
            msg = compare(e, g, rtol=rtol, atol=atol, what=f"{what}[{i}]")
            if msg:
                return msg
        return None
    if isinstance(expected, np.ndarray):
        if hasattr(got, "detach"):  # a torch tensor is fine where an array is asked for
            got = got.detach().cpu().numpy()
        if not isinstance(got, np.ndarray):
            return f"{what} should be a numpy array of shape {expected.shape}, got {_kind(got)}"
        if got.shape != expected.shape:
            return f"{what}: expected shape {expected.shape}, got {got.shape}"
        if got.dtype.kind not in "biuf" or (expected.dtype.kind in "biu" and got.dtype.kind == "f" and not np.all(np.mod(got, 1) == 0)):
            return f"{what}: expected dtype {expected.dtype}, got {got.dtype}"
        e64, g64 = expected.astype(np.float64), got.astype(np.float64)
        if np.isnan(g64).any() and not np.isnan(e64).any():
            idx = tuple(int(i) for i in np.argwhere(np.isnan(g64))[0])
            return f"{what} contains NaN, first at index {idx}"
        bad = ~np.isclose(g64, e64, rtol=rtol, atol=atol, equal_nan=True)
        if bad.any():
            idx = tuple(int(i) for i in np.argwhere(bad)[0])
            where = f" at index {idx}" if idx else ""
            return f"{what} differs{where}: expected {_num(e64[idx])}, got {_num(g64[idx])} ({int(bad.sum())} of {bad.size} entries differ)"
        return None
    if isinstance(expected, (bool, np.bool_)):
        if not isinstance(got, (bool, np.bool_)):
            return f"{what} should be True or False, got {_kind(got)}"
        return None if bool(got) == bool(expected) else f"{what}: expected {bool(expected)}, got {bool(got)}"
    if isinstance(expected, (int, np.integer)):
        if isinstance(got, (bool, np.bool_)) or not isinstance(got, (int, np.integer)):
            return f"{what} should be an int, got {_kind(got)}"
        return None if int(got) == int(expected) else f"{what}: expected {int(expected)}, got {int(got)}"
    if isinstance(expected, (float, np.floating)):
        if isinstance(got, (bool, np.bool_)) or not isinstance(got, (int, float, np.integer, np.floating)):
            return f"{what} should be a number, got {_kind(got)}"
        if np.isclose(float(got), float(expected), rtol=rtol, atol=atol):
            return None
        return f"{what}: expected {_num(expected)}, got {_num(got)}"
    return None if got == expected else f"{what}: expected {expected!r}, got {got!r}"


def _kind(value: Any) -> str:
    shape = getattr(value, "shape", None)
    return f"{type(value).__name__} of shape {tuple(shape)}" if shape is not None else f"{type(value).__name__} {value!r:.60}"


def _num(x: Any) -> str:
    return f"{float(x):.6g}"


def run_task(task: Task, fn: Callable[..., Any], cases: list[Case]) -> CheckResult:
    """Call ``fn`` on every case (on copies of the inputs) and compare with the reference."""
    if not callable(fn):
        return CheckResult(task.name, FAIL, f"expected a function, got {_kind(fn)}")
    for case in cases:
        try:
            got = fn(*copy.deepcopy(case.args), **copy.deepcopy(case.kwargs))
        except NotImplementedError:
            return CheckResult(task.name, TODO, "not implemented yet (replace the `raise NotImplementedError` with your code)")
        except Exception as exc:  # noqa: BLE001 - any error in learner code is reported, not raised
            return CheckResult(task.name, FAIL, f"case '{case.label}': your code raised {type(exc).__name__}: {exc}")
        msg = task.check_one(case, got)
        if msg:
            hint = f" (hint: {case.hint})" if case.hint else ""
            return CheckResult(task.name, FAIL, f"case '{case.label}': {msg}{hint}")
    return CheckResult(task.name, PASS, f"all {len(cases)} cases pass", cases=len(cases))


@dataclass
class Exercise:
    """An exercise notebook's graded tasks, in notebook order."""

    id: str
    title: str
    tasks: list[Task]
    prelude: str = "import numpy as np\n"
    """Trusted code the grader runs before the learner's answer cells (the imports they rely on)."""
    imports: tuple[str, ...] = ()
    """Heavy modules (e.g. ``"torch"``) the grading worker imports before its limits apply."""

    def task(self, name: str) -> Task:
        for t in self.tasks:
            if t.name == name:
                return t
        raise KeyError(f"exercise {self.id} has no task {name!r}; tasks: {[t.name for t in self.tasks]}")


def get_exercise(exercise_id: str) -> Exercise:
    if exercise_id not in EXERCISES:
        raise KeyError(f"unknown exercise {exercise_id!r}; known: {sorted(EXERCISES)}")
    exercise = importlib.import_module(EXERCISES[exercise_id]).EXERCISE
    if exercise.id != exercise_id:
        raise RuntimeError(f"{EXERCISES[exercise_id]} declares EXERCISE_ID {exercise_id!r} but EXERCISE.id {exercise.id!r}")
    return exercise


class Checker:
    """The ``check`` object of one exercise notebook; remembers each task's latest result."""

    def __init__(self, exercise: Exercise) -> None:
        self.exercise = exercise
        self.results: dict[str, CheckResult] = {}

    def __call__(self, task_name: str, fn: Callable[..., Any]) -> None:
        try:
            task = self.exercise.task(task_name)
        except KeyError as exc:
            print(f"{FAIL} {exc.args[0]}")
            return
        result = run_task(task, fn, task.public_cases())
        self.results[task_name] = result
        print(result)

    def summary(self) -> None:
        """Print ``k/n tasks pass`` and which are left."""
        names = [t.name for t in self.exercise.tasks]
        done = [n for n in names if n in self.results and self.results[n].passed]
        left = [n for n in names if n not in done]
        tail = f"; still to do: {', '.join(left)}" if left else " — well done!"
        print(f"{len(done)}/{len(names)} tasks pass{tail}")


def checker(exercise_id: str) -> Checker:
    """The ``check`` callable for the exercise notebook ``exercise_id`` (e.g. ``"01_perceptron"``)."""
    return Checker(get_exercise(exercise_id))
