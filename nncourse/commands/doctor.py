"""``nncourse doctor``: is this machine ready for the course? Versions, device, threads, offline data."""

from __future__ import annotations

import importlib
import platform
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

REQUIRED = (
    "numpy",
    "torch",
    "matplotlib",
    "sklearn",
    "tqdm",
    "ipywidgets",
    "ipykernel",
    "jupyterlab",
    "nbformat",
    "nbclient",
)
OPTIONAL = ("nbval", "pytest", "xdist")


def _version(module: str) -> str | None:
    try:
        mod = importlib.import_module(module)
    except Exception:  # noqa: BLE001 - a broken install is reported, not raised
        return None
    return str(getattr(mod, "__version__", "installed"))


def run_doctor(out: Callable[[str], object] = print) -> int:
    """Print the report; return 0 when the course can run, 1 otherwise."""
    problems: list[str] = []
    out(f"python        {platform.python_version()} ({sys.executable})")
    if sys.version_info < (3, 10):  # noqa: UP036 - the doctor reports an old Python instead of failing on it
        problems.append("Python 3.10 or newer is needed")
    for name in REQUIRED + OPTIONAL:
        version = _version(name)
        label = "pytest-xdist" if name == "xdist" else ("scikit-learn" if name == "sklearn" else name)
        out(f"{label:<13} {version or 'MISSING'}")
        if version is None and name in REQUIRED:
            problems.append(f"{label} is not installed: run `make lab` (or pip install -e .) in the course folder")
    if _version("torch") is not None:
        import torch

        from nncourse.device import get_device

        cuda = torch.version.cuda or "none (CPU build)"
        out(f"torch build CUDA {cuda}; device {get_device()}; threads {torch.get_num_threads()}")
    if _version("sklearn") is not None and _version("torch") is not None:
        problems += _check_data(out)
    kernel_problem = check_kernel(out=out)
    if kernel_problem:
        problems.append(kernel_problem)
    from nncourse.grading.sandbox import sandbox_status

    works, why = sandbox_status()  # only instructors grading need it: reported, not a problem
    out(f"grading       sandbox {'ok' if works else 'NOT AVAILABLE'}: {why}")
    if problems:
        out("\nNOT READY:")
        for p in problems:
            out(f"  - {p}")
        return 1
    out("\nready: everything the course needs is here, and it needs no network")
    return 0


def _check_data(out: Callable[[str], object]) -> list[str]:
    from nncourse.data import BUNDLED, TOY_SETS, load_dataset, make_toy

    problems = []
    for name in BUNDLED:
        try:
            split = load_dataset(name)
            out(f"data          {name:<14} ok  train/val/test = {split.sizes()}")
        except Exception as exc:  # noqa: BLE001
            problems.append(f"bundled data set {name} does not load: {type(exc).__name__}: {exc}")
    for name in TOY_SETS:
        try:
            X, _ = make_toy(name, 40)
            assert X.shape == (40, 2)
        except Exception as exc:  # noqa: BLE001
            problems.append(f"toy data set {name} failed: {type(exc).__name__}: {exc}")
    out(f"data          toy sets {', '.join(TOY_SETS)} ok" if not problems else "data        toy sets: see below")
    return problems


PYTHON_NAMES = {"python", "python3", f"python{sys.version_info[0]}.{sys.version_info[1]}"}
"""Names Jupyter replaces by its own interpreter when it starts a kernel."""


def _same_environment(python: str) -> bool:
    if python in PYTHON_NAMES:
        return True
    try:
        # <prefix>/bin/python -> <prefix>; not the symlink's target: every venv links to the same system python
        return Path(python).absolute().parent.parent.resolve() == Path(sys.prefix).resolve()
    except OSError:
        return False


def check_kernel(name: str = "python3", manager: Any = None, out: Callable[[str], object] = print) -> str | None:
    """``None`` when the Jupyter kernel ``name`` runs this environment's Python, else the problem.

    A ``python3`` kernel spec installed for the user (``~/.local/share/jupyter/kernels``) by another
    environment shadows the course's own: notebooks would then run without the course's packages.
    """
    try:
        if manager is None:
            from jupyter_client.kernelspec import KernelSpecManager

            manager = KernelSpecManager()
        spec = manager.get_kernel_spec(name)
    except Exception as exc:  # noqa: BLE001 - no such kernel, or jupyter_client missing
        return f"no Jupyter kernel named {name!r} ({type(exc).__name__}): run `{sys.executable} -m ipykernel install --sys-prefix --name {name}`"
    python = spec.argv[0] if spec.argv else ""
    if _same_environment(python):
        out(f"kernel        {name} runs this environment's Python ({spec.resource_dir})")
        return None
    out(f"kernel        {name} runs {python}: ANOTHER environment")
    return (
        f"the Jupyter kernel {name!r} ({spec.resource_dir}) runs {python}, not this environment's Python ({sys.executable}), "
        f"so notebooks would miss the course's packages: remove that kernel spec (`jupyter kernelspec remove {name}`, "
        f"or delete {spec.resource_dir}) and run `{sys.executable} -m ipykernel install --sys-prefix --name {name}`"
    )
