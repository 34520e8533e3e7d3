"""The two-command set-up stays consistent: pyproject, environment.yml, constraints, Makefile, CI, README."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parent.parent


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement.strip(), maxsplit=1)[0].lower()


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _environment_names() -> set[str]:
    names, in_dependencies = set(), False
    for line in (ROOT / "environment.yml").read_text().splitlines():
        if not line.startswith(" "):
            in_dependencies = line.startswith("dependencies:")
            continue
        item = line.split("#")[0].strip()
        if in_dependencies and item.startswith("- ") and not item.startswith(("- pip:", "- -e")):
            names.add(_name(item[2:]))
    return names - {"python", "pip"}


def _course_requirements() -> list[str]:
    """The package's dependencies and the extras `make setup` installs (test, lint)."""
    project = _pyproject()["project"]
    extras = project["optional-dependencies"]
    return [*project["dependencies"], *extras["test"], *extras["lint"]]


def _pins(text: str) -> dict[str, str]:
    """``name -> version`` of every ``name==version`` line (markers and comments ignored)."""
    pins = {}
    for line in text.splitlines():
        match = re.match(r"^\s*-?\s*([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)", line)
        if match:
            pins[re.sub(r"[-_.]+", "-", match.group(1)).lower()] = match.group(2)
    return pins


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    assert _environment_names() == {_name(r) for r in _course_requirements()}


def test_exact_pins_agree_between_pyproject_environment_and_constraints():
    pinned = _pins("\n".join(_course_requirements()))
    assert pinned, "the lint tools are pinned in pyproject.toml"
    environment = _pins((ROOT / "environment.yml").read_text())
    constraints = _pins((ROOT / "constraints.txt").read_text())
    for name, version in pinned.items():
        assert environment.get(name) == version, (
            f"environment.yml pins {name} to {environment.get(name)}, pyproject to {version}"
        )
        assert constraints.get(name) == version, (
            f"constraints.txt pins {name} to {constraints.get(name)}, pyproject to {version}"
        )


def test_constraints_pin_the_whole_environment_in_plain_lines():
    lines = [line for line in (ROOT / "constraints.txt").read_text().splitlines() if line and not line.startswith("#")]
    plain = re.compile(
        r'^[a-z0-9][a-z0-9._-]*==[0-9][^\s;+]*( ; python_version [<>=]+ "3\.\d+"( and python_version < "3\.\d+")?)?$'
    )
    for line in lines:
        assert plain.match(line), f"constraints.txt: {line!r} is not a plain pin (no local +cpu label, no URL, no -e)"
    unconditional = [line.split("==")[0] for line in lines if ";" not in line]
    assert len(unconditional) == len(set(unconditional)), "a package is pinned twice without a marker"
    pinned = {line.split("==")[0] for line in lines}
    missing = {re.sub(r"[-_.]+", "-", _name(r)) for r in _course_requirements()} - pinned
    assert not missing, f"constraints.txt does not pin {sorted(missing)}: run `make constraints`"
    assert "nncourse" not in pinned


def test_torch_is_pinned_to_one_version_everywhere():
    torch_pin = _pins((ROOT / "constraints.txt").read_text())["torch"]
    assert _pins((ROOT / "environment.yml").read_text())["torch"] == torch_pin
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(rf"^TORCH_VERSION := {re.escape(torch_pin)}$", makefile, re.M)
    # torch first (so a CPU wheel index applies to it alone), then the course: both constrained
    assert re.search(r"-c constraints.txt \$\(TORCH_PIP_ARGS\) torch\n.*-c constraints.txt -e", makefile)


def test_the_running_torch_is_the_pinned_one():
    torch = pytest.importorskip("torch")
    pinned = _pins((ROOT / "constraints.txt").read_text())["torch"]
    assert torch.__version__.split("+")[0] == pinned, (
        f"torch {torch.__version__} runs, {pinned} is pinned: run `make setup`"
    )


def test_readme_gives_the_two_commands_and_ci_runs_the_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "make lab" in readme and "make test" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make lint" in ci and "make test" in ci and ci.index("make lint") < ci.index("make test")
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^lab: ", makefile, re.M) and re.search(r"^test: ", makefile, re.M)


def _oldest_python() -> tuple[int, int]:
    match = re.fullmatch(r">=(3)\.(\d+)", _pyproject()["project"]["requires-python"])
    assert match, "requires-python must be a lower bound >=3.N"
    return int(match.group(1)), int(match.group(2))


def test_every_tool_targets_the_oldest_supported_python():
    major, minor = _oldest_python()
    config = _pyproject()["tool"]
    assert config["ruff"]["target-version"] == f"py{major}{minor}"
    assert config["mypy"]["python_version"] == f"{major}.{minor}"
    assert f"python>={major}.{minor}," in (ROOT / "environment.yml").read_text()


@pytest.mark.parametrize("folder", ["nncourse", "tests", "benchmarks", ".ci"])
def test_code_parses_with_the_oldest_supported_python(folder: str):
    """No syntax newer than requires-python (e.g. ``except*`` or ``type X = ...`` breaks 3.10)."""
    for path in sorted((ROOT / folder).rglob("*.py")):
        ast.parse(path.read_text(encoding="utf-8"), filename=str(path), feature_version=_oldest_python())


def test_the_package_ships_its_type_information():
    assert (ROOT / "nncourse" / "py.typed").exists()
    assert "py.typed" in _pyproject()["tool"]["setuptools"]["package-data"]["nncourse"]
