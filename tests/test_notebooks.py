"""Guards around strict nbval: it compares only cells with a stored execution count, so a stripped
or half-run notebook would pass vacuously. These tests make sure that cannot happen, and that
every notebook follows the course's conventions.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
from nbval.plugin import get_sanitize_patterns

ROOT = Path(__file__).resolve().parent.parent
STORED = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "solutions").glob("*.ipynb"))
EXERCISES = sorted((ROOT / "exercises").glob("*.ipynb"))
SETUP_LINE = "from nncourse import setup_notebook"


def _ids(paths: list[Path]) -> list[str]:
    return [f"{p.parent.name}/{p.name}" for p in paths]


def _code_cells(path: Path) -> list:
    return [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


def test_the_course_has_notebooks():
    assert len(list((ROOT / "notebooks").glob("*.ipynb"))) >= 2
    assert len(EXERCISES) >= 1 and len(STORED) >= 3


@pytest.mark.parametrize("path", STORED, ids=_ids(STORED))
def test_stored_notebook_ran_top_to_bottom_in_order(path: Path):
    counts = [c.execution_count for c in _code_cells(path)]
    assert counts, f"{path.name} has no code cells"
    assert None not in counts, f"{path.name}: cell {counts.index(None)} was never run; run `nncourse refresh {path.name}`"
    assert counts == list(range(1, len(counts) + 1)), f"{path.name}: execution counts {counts} are not 1..n in order"


@pytest.mark.parametrize("path", STORED, ids=_ids(STORED))
def test_stored_notebook_has_no_errors_and_no_unstable_text(path: Path):
    for index, cell in enumerate(_code_cells(path)):
        for out in cell.outputs:
            assert out.output_type != "error", f"{path.name}: code cell {index} stored an error"
            text = out.get("text", "") + out.get("data", {}).get("text/plain", "")
            assert "image/svg+xml" not in out.get("data", {}), f"{path.name}: SVG figures embed a date; use PNG"
            assert not re.search(r"\d+\.\d+ ?s/it|\d+ ?it/s", text), f"{path.name}: cell {index} stores a text progress rate"


@pytest.mark.parametrize("path", STORED + EXERCISES, ids=_ids(STORED + EXERCISES))
def test_notebook_conventions(path: Path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    first_md = next(c for c in nb.cells if c.cell_type == "markdown")
    assert first_md.source.startswith("# "), f"{path.name}: the first Markdown cell must be the title"
    first_code = _code_cells(path)[0]
    assert SETUP_LINE in first_code.source, f"{path.name}: the first code cell must be the set-up cell"
    for cell in nb.cells:
        assert "import *" not in cell.source, f"{path.name}: no star imports"


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.name)
def test_lecture_has_the_required_sections(path: Path):
    text = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown")
    for section in ("You will learn" if not path.name.startswith("00") else "you will learn", "Check your understanding", "Summary"):
        assert section.lower() in text.lower(), f"{path.name} lacks a '{section}' section"


def test_every_sanitize_pattern_parses():
    cfg = ROOT / "tests" / "nbval_sanitize.cfg"
    declared = len(re.findall(r"^regex:", cfg.read_text(), re.M))
    with cfg.open() as handle:
        patterns = get_sanitize_patterns(handle.read())
    assert declared >= 3 and len(patterns) == declared  # a pattern dropped by the parser fails here
    for regex, _ in patterns:
        re.compile(regex)
    pairs = dict(patterns)
    assert re.sub(r"0x[0-9a-fA-F]{6,16}", pairs[r"0x[0-9a-fA-F]{6,16}"], "<obj at 0x7f3a2b4c5d6e>") == "<obj at 0xADDRESS>"


def test_notebooks_are_small_json():
    for path in STORED + EXERCISES:
        assert path.stat().st_size < 1_500_000, f"{path.name} is {path.stat().st_size} bytes"
        json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", STORED + EXERCISES, ids=_ids(STORED + EXERCISES))
def test_links_to_other_notebooks_resolve(path: Path):
    text = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown")
    for target in re.findall(r"\]\(([^)\s]+\.ipynb)\)", text):
        assert (path.parent / target).resolve().exists(), f"{path.name} links to {target}, which does not exist"
