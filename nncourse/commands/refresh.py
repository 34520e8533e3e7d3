"""Regenerate the stored outputs of the course notebooks (the ones strict nbval compares against).

Run it in the project's pinned environment (``make refresh`` or ``nncourse refresh``) after
changing a notebook; then commit the notebooks with their new outputs.
"""

from __future__ import annotations

import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

STORED_OUTPUT_DIRS = ("notebooks", "solutions")
"""Folders whose notebooks are stored with outputs; ``exercises/`` is generated blank by release."""


def course_notebooks(root: Path, dirs: tuple[str, ...] = STORED_OUTPUT_DIRS) -> list[Path]:
    """The notebooks under ``root/<dir>`` for each of ``dirs``, sorted by path."""
    return sorted(p for d in dirs for p in (Path(root) / d).glob("*.ipynb"))


def execute_notebook(path: Path, timeout: int = 300, write: bool = True) -> tuple[nbformat.NotebookNode, float]:
    """Run a notebook top to bottom in a fresh kernel with its folder as working directory.

    Returns the executed notebook and the wall time in seconds; with ``write`` the notebook file
    is overwritten with the new outputs. A cell that raises (unless tagged ``raises-exception``)
    stops the run with ``nbclient``'s ``CellExecutionError`` and nothing is written.
    """
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent.resolve())}},
        record_timing=False,
        store_widget_state=False,
    )
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    if write:
        nbformat.write(nb, path)
    return nb, seconds
