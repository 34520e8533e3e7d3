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
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from nncourse.compare import _kind, compare
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
    requires: tuple[str, ...] = ()
    """Earlier tasks whose functions this task's function calls. When one of them does not pass, the
    check names it and runs this task with the reference in its place, so one bug costs one task;
    ``Exercise`` marks every required task ``substitutable``, so the grader does the same."""

    def check_one(self, case: Case, got: Any) -> str | None:
        expected = self.reference(*copy.deepcopy(case.args), **copy.deepcopy(case.kwargs))
        if self.verify is not None:
            return self.verify(case, expected, got)
        if (
            self.outputs
            and isinstance(expected, tuple)
            and isinstance(got, (tuple, list))
            and len(got) == len(expected)
        ):
            for name, e, g in zip(self.outputs, expected, got, strict=False):
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


def run_task(task: Task, fn: Callable[..., Any], cases: list[Case]) -> CheckResult:
    """Call ``fn`` on every case (on copies of the inputs) and compare with the reference."""
    if not callable(fn):
        return CheckResult(task.name, FAIL, f"expected a function, got {_kind(fn)}")
    for case in cases:
        try:
            got = fn(*copy.deepcopy(case.args), **copy.deepcopy(case.kwargs))
        except NotImplementedError:
            return CheckResult(
                task.name, TODO, "not implemented yet (replace the `raise NotImplementedError` with your code)"
            )
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

    def __post_init__(self) -> None:
        earlier: set[str] = set()
        for task in self.tasks:
            for name in task.requires:
                if name not in earlier:
                    raise ValueError(
                        f"exercise {self.id}: task {task.name!r} requires {name!r}, which is not an earlier task"
                    )
                self.task(name).substitutable = True  # the grader substitutes the reference for it too
            earlier.add(task.name)

    def task(self, name: str) -> Task:
        for t in self.tasks:
            if t.name == name:
                return t
        raise KeyError(f"exercise {self.id} has no task {name!r}; tasks: {[t.name for t in self.tasks]}")

    @property
    def max_points(self) -> int:
        return sum(t.points for t in self.tasks)


def get_exercise(exercise_id: str) -> Exercise:
    if exercise_id not in EXERCISES:
        raise KeyError(f"unknown exercise {exercise_id!r}; known: {sorted(EXERCISES)}")
    exercise = importlib.import_module(EXERCISES[exercise_id]).EXERCISE
    if exercise.id != exercise_id:
        raise RuntimeError(
            f"{EXERCISES[exercise_id]} declares EXERCISE_ID {exercise_id!r} but EXERCISE.id {exercise.id!r}"
        )
    return exercise


def points(n: float) -> str:
    """``1 point``, ``2 points``, ``1.5 points``: the one unit of scores, in notebooks and on the CLI."""
    return f"{n:g} point{'' if n == 1 else 's'}"


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
        result = self.run(task, fn)
        self.results[task_name] = result
        print(result)

    def run(self, task: Task, fn: Callable[..., Any]) -> CheckResult:
        """Check ``fn`` as the grader will grade it: prerequisites that do not pass are replaced by
        their reference for the check, and everything ``fn`` uses must live in the answer cells."""
        namespace: dict[str, Any] | None = getattr(fn, "__globals__", None)
        failing = (
            [name for name in task.requires if not self._prerequisite_passes(name, namespace)]
            if namespace is not None
            else []
        )
        if not failing:
            return self._run_graded(task, fn)
        assert namespace is not None  # without a namespace nothing is failing
        saved = {name: namespace[name] for name in failing if name in namespace}
        try:
            for name in failing:
                namespace[name] = self.exercise.task(name).reference
            result = self._run_graded(task, fn)
        finally:
            for name in failing:
                namespace.pop(name, None)
            namespace.update(saved)
        which = ", ".join(f"`{n}`" for n in failing)
        result.message += (
            f" (checked with the reference {which} in place of yours, which does not pass yet: fix task {which} first)"
        )
        return result

    def _run_graded(self, task: Task, fn: Callable[..., Any]) -> CheckResult:
        from nncourse.answer_scope import describe_missing, exercise_scope, outside_answer_cells

        scope = exercise_scope(self.exercise.id, self.exercise.prelude)
        missing = outside_answer_cells(fn, scope) if scope is not None and callable(fn) else None
        if missing:
            return CheckResult(task.name, FAIL, describe_missing(missing, fn.__globals__, task.name))
        return run_task(task, fn, task.public_cases())

    def _prerequisite_passes(self, name: str, namespace: dict | None) -> bool:
        """Check the prerequisite's current version as the grader would (it may have changed since
        its own check ran); without it in sight, trust its latest check."""
        fn = (namespace or {}).get(name)
        if callable(fn):
            return self._run_graded(self.exercise.task(name), fn).passed
        return name in self.results and self.results[name].passed

    def summary(self) -> None:
        """Print the score in points, then which tasks are wrong and which are still to do."""
        tasks = self.exercise.tasks
        score = sum(t.points for t in tasks if t.name in self.results and self.results[t.name].passed)
        wrong = [t.name for t in tasks if t.name in self.results and self.results[t.name].status == FAIL]
        todo = [t.name for t in tasks if t.name not in self.results or self.results[t.name].status == TODO]
        line = f"score: {score:g}/{points(self.exercise.max_points)}"
        if wrong:
            line += f"; {FAIL} wrong: {', '.join(wrong)}"
        if todo:
            line += f"; {TODO} still to do: {', '.join(todo)}"
        print(line if wrong or todo else f"{line} — well done!")

    def demo(self, *task_names: str) -> Demo:
        """A context manager for a "Try it" cell that runs the learner's code::

            with check.demo("mlp_gradients"):
                ...  # code that calls the learner's functions

        Any exception in the block is caught and reported in one line that names the task to fix,
        so Run All reaches the score. ``task_names``: the tasks whose functions the block uses.
        """
        for name in task_names:
            self.exercise.task(name)  # a typo in a course notebook is the author's error: raise
        return Demo(self, task_names)


class Demo:
    """See ``Checker.demo``."""

    def __init__(self, checker: Checker, task_names: tuple[str, ...]) -> None:
        self.checker, self.task_names = checker, task_names

    def __enter__(self) -> Demo:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool:
        if exc is None or not isinstance(exc, Exception):
            return False  # no error, or KeyboardInterrupt / SystemExit: let it through
        names = [t.name for t in self.checker.exercise.tasks]
        raised_in = [
            f.f_code.co_name
            for f, _ in traceback.walk_tb(tb)  # the learner's functions, not the references
            if f.f_code.co_name in names and f.f_globals.get("__name__") == "__main__"
        ]
        culprit = raised_in[-1] if raised_in else None
        not_passing = [
            n for n in self.task_names if n not in self.checker.results or not self.checker.results[n].passed
        ]
        if isinstance(exc, NotImplementedError):
            task = culprit or (not_passing or list(self.task_names) or ["an earlier task"])[0]
            print(f"{TODO} this cell waits for task `{task}` (not implemented yet)")
            return True
        task = culprit or (not_passing or list(self.task_names) or ["an earlier task"])[0]
        text = str(exc).splitlines()[0] if str(exc) else ""
        print(
            f"{FAIL} this cell stopped: {type(exc).__name__}: {text[:200]} — fix task `{task}` (its check above says what is wrong)"
        )
        return True


def checker(exercise_id: str) -> Checker:
    """The ``check`` callable for the exercise notebook ``exercise_id`` (e.g. ``"01_perceptron"``)."""
    return Checker(get_exercise(exercise_id))


__all__ = [
    "FAIL",
    "PASS",
    "TODO",
    "Case",
    "CheckResult",
    "Checker",
    "Demo",
    "Exercise",
    "Task",
    "checker",
    "compare",
    "get_exercise",
    "points",
    "run_task",
]
