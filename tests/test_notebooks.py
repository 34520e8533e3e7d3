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


LECTURES = sorted((ROOT / "notebooks").glob("*.ipynb"))
# Lectures that have no exercise yet. The course design wants one per chapter: when an exercise is
# added, take its chapter off this list (the test below fails until then, so the list cannot go stale).
WITHOUT_EXERCISE = {"00_welcome"}


def test_lectures_are_numbered_in_course_order_without_gaps():
    names = [p.name for p in LECTURES]
    assert all(re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", n) for n in names), (
        f"lecture names must be NN_stem.ipynb: {names}"
    )
    assert [int(n[:2]) for n in names] == list(range(len(names))), (
        f"lectures must be numbered 00, 01, ... once each: {names}"
    )


def test_every_exercise_has_its_lecture_and_solution():
    lectures, solutions = {p.stem for p in LECTURES}, {p.stem for p in STORED if p.parent.name == "solutions"}
    exercises = {p.stem for p in EXERCISES}
    assert exercises == solutions, f"exercises/ and solutions/ differ: {sorted(exercises ^ solutions)}"
    assert exercises <= lectures, f"exercises without a lecture of the same name: {sorted(exercises - lectures)}"
    assert lectures - exercises == WITHOUT_EXERCISE, f"lectures without an exercise: {sorted(lectures - exercises)}"


def test_readme_course_map_links_every_notebook():
    readme = (ROOT / "README.md").read_text()
    linked = set(re.findall(r"\]\(((?:notebooks|exercises|solutions)/[^)\s]+\.ipynb)\)", readme))
    on_disk = {f"{p.parent.name}/{p.name}" for p in LECTURES + STORED + EXERCISES}
    assert on_disk <= linked, f"the README's course map misses {sorted(on_disk - linked)}"
    assert linked <= on_disk, f"the README links notebooks that do not exist: {sorted(linked - on_disk)}"


@pytest.mark.parametrize("path", STORED, ids=_ids(STORED))
def test_stored_notebook_ran_top_to_bottom_in_order(path: Path):
    counts = [c.execution_count for c in _code_cells(path)]
    assert counts, f"{path.name} has no code cells"
    assert None not in counts, (
        f"{path.name}: cell {counts.index(None)} was never run; run `nncourse refresh {path.name}`"
    )
    assert counts == list(range(1, len(counts) + 1)), f"{path.name}: execution counts {counts} are not 1..n in order"


@pytest.mark.parametrize("path", STORED, ids=_ids(STORED))
def test_stored_notebook_has_no_errors_and_no_unstable_text(path: Path):
    for index, cell in enumerate(_code_cells(path)):
        for out in cell.outputs:
            assert out.output_type != "error", f"{path.name}: code cell {index} stored an error"
            text = out.get("text", "") + out.get("data", {}).get("text/plain", "")
            assert "image/svg+xml" not in out.get("data", {}), f"{path.name}: SVG figures embed a date; use PNG"
            assert not re.search(r"\d+\.\d+ ?s/it|\d+ ?it/s", text), (
                f"{path.name}: cell {index} stores a text progress rate"
            )


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


@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.name)
def test_lecture_has_the_required_sections(path: Path):
    text = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown")
    for section in ("you will learn", "prerequisite", "check your understanding", "summary"):
        assert section in text.lower(), f"{path.name} lacks a '{section}' section"
    if path.stem not in WITHOUT_EXERCISE:
        assert f"](../exercises/{path.name})" in text, f"{path.name} must link to its exercise ../exercises/{path.name}"


# Text that varies from run to run, and what the sanitizer must turn it into. Every pattern in
# nbval_sanitize.cfg must be needed by one of these (a new pattern comes with its example).
UNSTABLE_TEXT = {
    "<Layer object at 0x7f3a2b4c5d6e>": "<Layer object at 0xADDRESS>",
    "100%|##########| 10/10 [00:01<00:00,  9.87it/s]": "100%|##########| 10/10 [TIME]",
    "/tmp/ipykernel_4117/2384.py:3: UserWarning: x": "CELL.py:3: UserWarning: x",
    "forward: 12.5 ms per step": "forward: TIME per step",
}


def _sanitize(text: str, patterns: list[tuple[str, str]]) -> str:
    for regex, replacement in patterns:  # in file order, as nbval applies them
        text = re.sub(regex, replacement, text)
    return text


def test_every_sanitize_pattern_parses_and_does_its_job():
    cfg = ROOT / "tests" / "nbval_sanitize.cfg"
    declared = len(re.findall(r"^regex:", cfg.read_text(), re.M))
    with cfg.open() as handle:
        patterns = get_sanitize_patterns(handle.read())
    assert len(patterns) == declared  # a pattern dropped by the parser (blank line, empty replace) fails here
    for unstable, stable in UNSTABLE_TEXT.items():
        assert _sanitize(unstable, patterns) == stable
    for regex, _ in patterns:
        assert any(re.search(regex, text) for text in UNSTABLE_TEXT), f"no example in UNSTABLE_TEXT needs {regex!r}"
    assert (
        _sanitize("loss 0.1234, accuracy 0.97, shape (32, 10)", patterns)
        == "loss 0.1234, accuracy 0.97, shape (32, 10)"
    )


def test_notebooks_are_small_json():
    for path in STORED + EXERCISES:
        assert path.stat().st_size < 1_500_000, f"{path.name} is {path.stat().st_size} bytes"
        json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", STORED + EXERCISES, ids=_ids(STORED + EXERCISES))
def test_links_to_other_notebooks_resolve(path: Path):
    text = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown")
    for target in re.findall(r"\]\(([^)\s]+\.ipynb)\)", text):
        assert (path.parent / target).resolve().exists(), f"{path.name} links to {target}, which does not exist"
