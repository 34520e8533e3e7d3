"""The ``nncourse`` command line: ``doctor``, ``release``, ``refresh``."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _root() -> Path:
    """The course folder: the current directory if it holds the course, else the package's parent."""
    here = Path.cwd()
    if (here / "solutions").is_dir() or (here / "notebooks").is_dir():
        return here
    return Path(__file__).resolve().parent.parent


def cmd_doctor(args: argparse.Namespace) -> int:
    from nncourse.doctor import run_doctor

    return run_doctor()


def cmd_release(args: argparse.Namespace) -> int:
    from nncourse.release import ReleaseError, release

    root = _root()
    solutions, exercises = Path(args.solutions or root / "solutions"), Path(args.exercises or root / "exercises")
    try:
        paths = release(solutions, exercises, check=args.check)
    except ReleaseError as exc:
        print(f"release failed, nothing written: {exc}", file=sys.stderr)
        return 2
    if args.check:
        for p in paths:
            print(f"out of date: {p} (run `nncourse release`)")
        return 1 if paths else 0
    for p in paths:
        print(f"wrote {p}")
    return 0


def cmd_refresh(args: argparse.Namespace) -> int:
    from nncourse.refresh import course_notebooks, execute_notebook

    paths = [Path(p) for p in args.notebooks] or course_notebooks(_root())
    for path in paths:
        try:
            _, seconds = execute_notebook(path, timeout=args.timeout)
        except Exception as exc:  # noqa: BLE001 - report and go on with the others
            print(f"FAILED {path}: {type(exc).__name__}: {str(exc).splitlines()[-1] if str(exc) else ''}", file=sys.stderr)
            return 1
        print(f"refreshed {path} ({seconds:.1f} s)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nncourse", description="The neural-networks course's command line.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("doctor", help="check versions, device, threads and the offline data sets")
    p.set_defaults(func=cmd_doctor)
    p = sub.add_parser("release", help="write exercises/ from solutions/")
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 if exercises/ is out of date")
    p.add_argument("--solutions", help="solutions folder (default: ./solutions)")
    p.add_argument("--exercises", help="exercises folder (default: ./exercises)")
    p.set_defaults(func=cmd_release)
    p = sub.add_parser("refresh", help="re-run notebooks and store their outputs (for authors)")
    p.add_argument("notebooks", nargs="*", help="notebooks to refresh (default: notebooks/ and solutions/)")
    p.add_argument("--timeout", type=int, default=300, help="seconds per cell")
    p.set_defaults(func=cmd_refresh)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
