"""Which of the learner's code will the grader see? Only the answer cells (see ``grading.submission``).

The grader runs the course's imports (``Exercise.prelude`` and the solution's own ``import`` lines)
and then the learner's answer cells: the cells that hold a task's function. A helper function, a
constant or an import that the learner put in a cell of their own is missing there, and the task
that uses it fails with a ``NameError``. ``outside_answer_cells`` finds such names in a live kernel,
so the in-notebook check can say so instead of printing ✓.

How a kernel cell is recognised: IPython compiles each cell under its own file name and keeps the
cell's source in ``linecache``. A function defined in a notebook shares the notebook's globals; the
cells that define an answer function (a name the solution's answer cells define) are answer cells.
"""

from __future__ import annotations

import ast
import builtins
import dis
import functools
import linecache
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

COURSE_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Scope:
    """What the grader defines for one exercise: the answer cells' names and the prelude's names."""

    answer_names: frozenset[str]
    prelude_names: frozenset[str]


def bound_names(source: str) -> set[str]:
    """Names a piece of code binds at its top level (defs, classes, assignments, imports)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names if a.name != "*")
        else:
            for sub in ast.walk(node):
                if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                    names.add(sub.id)
    return names


@functools.lru_cache(maxsize=32)
def exercise_scope(exercise_id: str, prelude: str, course_root: Path = COURSE_ROOT) -> Scope | None:
    """The grader's view of an exercise, read from ``solutions/<id>.ipynb``; ``None`` if not there."""
    path = Path(course_root) / "solutions" / f"{exercise_id}.ipynb"
    if not path.exists():
        return None
    from nncourse.grading.submission import DEF, answer_cell_indices, course_prelude, solution_notebook

    solution = solution_notebook(course_root, exercise_id)
    answers = {name for i in answer_cell_indices(solution) for name in DEF.findall(solution.cells[i].source)}
    return Scope(frozenset(answers), frozenset(bound_names(prelude + course_prelude(solution))))


def _code(obj: Any) -> types.CodeType | None:
    if isinstance(obj, types.FunctionType):
        return obj.__code__
    if isinstance(obj, type):
        for member in vars(obj).values():
            member = getattr(member, "__func__", member)
            if isinstance(member, types.FunctionType):
                return member.__code__
    return None


def _globals_loaded(code: types.CodeType) -> list[str]:
    """Global names a function's code reads (its nested functions, lambdas and comprehensions too)."""
    names: list[str] = []
    for instruction in dis.get_instructions(code):
        if instruction.opname in ("LOAD_GLOBAL", "LOAD_NAME") and instruction.argval not in names:
            names.append(instruction.argval)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names += [n for n in _globals_loaded(const) if n not in names]
    return names


def _users_code(obj: Any, namespace: dict) -> list[types.CodeType]:
    """The code objects of a function, or of every method of a class, defined in ``namespace``."""
    if isinstance(obj, types.FunctionType):
        return [obj.__code__] if obj.__globals__ is namespace else []
    if isinstance(obj, type) and obj.__module__ == namespace.get("__name__"):
        members = [getattr(m, "__func__", m) for m in vars(obj).values()]
        members += [p.fget for p in vars(obj).values() if isinstance(p, property) and p.fget]
        return [m.__code__ for m in members if isinstance(m, types.FunctionType) and m.__globals__ is namespace]
    return []


def outside_answer_cells(fn: Callable[..., Any], scope: Scope) -> list[str] | None:
    """Names ``fn`` uses (directly or through the learner's own functions) that the grader lacks.

    ``None`` when this cannot be told (``fn`` is not a notebook function, or a cell's source is not
    known); else the names, in the order they are met.
    """
    namespace = getattr(fn, "__globals__", None)
    if not isinstance(fn, types.FunctionType) or namespace is None or namespace.get("__name__") != "__main__":
        return None  # not written in a notebook (or a script): nothing the grader would drop
    answer_files = set()
    for name in scope.answer_names:
        code = _code(namespace.get(name))
        if code is not None and _users_code(namespace.get(name), namespace):
            answer_files.add(code.co_filename)
    defined: set[str] = set()
    for filename in answer_files | {fn.__code__.co_filename}:
        lines = linecache.getlines(filename)
        if not lines:
            return None
        defined |= bound_names("".join(lines))
    visible = defined | scope.answer_names | scope.prelude_names | set(dir(builtins))  # an answer name the grader
    # always has: from its answer cell, or the reference in place of a failing prerequisite
    missing: list[str] = []
    seen: set[int] = set()
    todo = [fn.__code__]
    while todo:
        code = todo.pop(0)
        if id(code) in seen:
            continue
        seen.add(id(code))
        for name in _globals_loaded(code):
            if name not in namespace:
                continue  # a NameError either way: the check's own run reports it
            if name not in visible:
                if name not in missing:
                    missing.append(name)
                continue
            todo += _users_code(namespace[name], namespace)
    return missing


def describe_missing(names: list[str], namespace: dict, task: str) -> str:
    """The learner's message: what is outside the answer cells and where to move it."""
    parts = []
    for name in names:
        value = namespace.get(name)
        if isinstance(value, types.ModuleType):
            parts.append(f"`{name}` is imported outside the answer cells")
        elif isinstance(value, (types.FunctionType, type)):
            parts.append(f"helper `{name}` is defined outside the answer cells")
        else:
            parts.append(f"`{name}` is set outside the answer cells")
    return f"{'; '.join(parts)}: the grader will not see {'it' if len(names) == 1 else 'them'} — move {'it' if len(names) == 1 else 'them'} into the cell of `{task}`"
