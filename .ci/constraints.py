"""Regenerate constraints.txt from a fresh resolve (run by `make constraints`).

For each interpreter given with --python: a new temporary venv, torch==TORCH first (so extra pip
arguments such as a CPU wheel index apply to torch alone), then the course with its test and lint
extras, then `pip freeze --exclude-editable`. The freezes are merged into one file:

- a package pinned to the same version under every interpreter gets one plain line;
- otherwise one line per interpreter with a `python_version` marker, the ranges chosen so that an
  interpreter between two resolved ones (3.12 between 3.11 and 3.13) takes the older one's pins.

Local version labels (`torch==2.13.0+cpu`) are dropped: `torch==2.13.0` matches the CPU and the
CUDA build alike, and a `+cpu` pin could not be installed from PyPI. The file is then checked: every
line is `name==version` (optionally with a marker), and pip resolves the course with it alone (the
machine's global pip constraint switched off) under each interpreter.

Usage: python .ci/constraints.py --python python3.11 [--python /path/to/python3.10 ...]
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;+]+)(\+[^\s;]+)?$")
LINE = re.compile(
    r'^[A-Za-z0-9][A-Za-z0-9._-]*==[^\s;+]+( ; python_version [<>=]+ "\d+\.\d+"( and python_version < "\d+\.\d+")?)?$'
)


def _run(cmd: list[str], env: dict[str, str] | None = None) -> str:
    print("+", shlex.join(cmd), flush=True)
    done = subprocess.run(cmd, cwd=ROOT, env=env, check=False, text=True, capture_output=True)
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-4000:] + done.stderr[-4000:])
        raise SystemExit(f"constraints: command failed ({done.returncode}): {shlex.join(cmd)}")
    return done.stdout


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def resolve(python: str, torch: str, torch_args: list[str], extras: str) -> tuple[str, dict[str, str]]:
    """Fresh venv for ``python``; returns its ``major.minor`` and ``{normalised name: version}``."""
    workdir = Path(tempfile.mkdtemp(prefix="nncourse-constraints-"))
    try:
        venv = workdir / "venv"
        _run([python, "-m", "venv", str(venv)])
        bin_python = str(venv / "bin" / "python")
        version = _run([bin_python, "-c", "import sys; print(f'{sys.version_info[0]}.{sys.version_info[1]}')"]).strip()
        pip = [bin_python, "-m", "pip", "install", "--quiet"]
        _run([*pip, "--upgrade", "pip"])
        _run([*pip, *torch_args, f"torch=={torch}"])
        _run([*pip, "-e", f".[{extras}]"])
        pins: dict[str, str] = {}
        for line in _run([bin_python, "-m", "pip", "freeze", "--exclude-editable"]).splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            match = PIN.match(line.strip())
            if match is None:
                raise SystemExit(f"constraints: pip freeze gave a line that is not name==version: {line!r}")
            pins[_normal(match.group(1))] = match.group(2)  # local label (+cpu) dropped
        pins.pop("nncourse", None)
        return version, pins
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def merge(freezes: dict[str, dict[str, str]]) -> list[str]:
    """One line per package, or one per run of interpreters that resolved the same version."""
    pythons = sorted(freezes, key=_key)
    lines = []
    for name in sorted({n for pins in freezes.values() for n in pins}):
        seen = {py: freezes[py][name] for py in pythons if name in freezes[py]}
        if len(set(seen.values())) == 1:
            lines.append(f"{name}=={next(iter(seen.values()))}")
            continue
        # runs of consecutive interpreters with one version; a run reaches up to the next run's start
        runs: list[tuple[int, str]] = []
        for i, py in enumerate(pythons):
            if py in seen and (not runs or runs[-1][1] != seen[py]):
                runs.append((i, seen[py]))
        for j, (i, version) in enumerate(runs):
            lower = f'python_version >= "{pythons[i]}"' if j > 0 else ""
            upper = f'python_version < "{pythons[runs[j + 1][0]]}"' if j + 1 < len(runs) else ""
            marker = " and ".join(part for part in (lower, upper) if part)
            lines.append(f"{name}=={version} ; {marker}")
    return lines


def check(path: Path, pythons: list[str], torch: str, torch_args: list[str], extras: str) -> None:
    """Every line well-formed, and pip resolves the course with this file alone under each interpreter."""
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if line and not line.startswith("#") and not LINE.match(line):
            raise SystemExit(f"constraints: {path}:{number} is not a plain pin: {line!r}")
    env = {**os.environ, "PIP_CONSTRAINT": os.devnull}  # ignore any machine-wide constraint file
    for python in pythons:
        dry_run = [python, "-m", "pip", "install", "--quiet", "--dry-run", "--ignore-installed"]
        _run([*dry_run, "-c", str(path), *torch_args, f"torch=={torch}", "-e", f".[{extras}]"], env=env)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--python", action="append", required=True, help="an interpreter to resolve for (repeat)")
    parser.add_argument("--torch", default="2.13.0", help="the torch release the course is measured with")
    parser.add_argument("--torch-pip-args", default="", help="extra pip arguments for the torch install")
    parser.add_argument("--extras", default="test,lint")
    parser.add_argument("--output", type=Path, default=ROOT / "constraints.txt")
    args = parser.parse_args(argv)
    torch_args = shlex.split(args.torch_pip_args)
    freezes = dict(resolve(python, args.torch, torch_args, args.extras) for python in args.python)
    pythons = ", ".join(sorted(freezes, key=_key))
    header = [
        "# The whole tested environment, pinned: what the stored notebook outputs were made with.",
        f"# Generated by `make constraints` on {datetime.date.today().isoformat()} from a fresh resolve",
        f"# (torch=={args.torch}, then `.[{args.extras}]`) under Python {pythons}; do not edit by hand.",
        "# `make setup` installs with `-c constraints.txt`; pyproject.toml keeps the ranges for users who",
        "# install the package alone. torch==X matches the CPU-only build (X+cpu) and the CUDA build alike;",
        "# see the README for PyTorch's CPU wheel index.",
    ]
    pins = merge(freezes)
    tmp = args.output.with_suffix(".txt.new")  # git-ignored; left for inspection when the check fails
    tmp.write_text("\n".join([*header, *pins]) + "\n")
    check(tmp, args.python, args.torch, torch_args, args.extras)
    tmp.replace(args.output)
    print(f"constraints: wrote {args.output} ({len(pins)} pins, Python {pythons})")


if __name__ == "__main__":
    main()
