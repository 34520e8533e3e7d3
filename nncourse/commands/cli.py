"""The ``nncourse`` command line: ``doctor``, ``release``, ``refresh``, ``check``, ``grade``, ``workspace``, ``progress``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _root() -> Path:
    """The course folder: the current directory if it holds the course, else the package's parent."""
    here = Path.cwd()
    is_workspace = (here / ".nncourse-workspace.json").exists()  # a learner's workspace has solutions/ too
    if ((here / "solutions").is_dir() or (here / "notebooks").is_dir()) and not is_workspace:
        return here
    return Path(__file__).resolve().parents[2]


def cmd_doctor(args: argparse.Namespace) -> int:
    from nncourse.commands.doctor import run_doctor

    return run_doctor()


def cmd_release(args: argparse.Namespace) -> int:
    from nncourse.release import ReleaseError, release

    root = _root()
    solutions, exercises = Path(args.solutions or root / "solutions"), Path(args.exercises or root / "exercises")
    try:
        paths = release(solutions, exercises, check=args.check, force=args.force)
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
    from nncourse.commands.refresh import course_notebooks, execute_notebook

    paths = [Path(p) for p in args.notebooks] or course_notebooks(_root())
    for path in paths:
        try:
            _, seconds = execute_notebook(path, timeout=args.timeout)
        except Exception as exc:  # noqa: BLE001 - report and go on with the others
            print(
                f"FAILED {path}: {type(exc).__name__}: {str(exc).splitlines()[-1] if str(exc) else ''}", file=sys.stderr
            )
            return 1
        print(f"refreshed {path} ({seconds:.1f} s)")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from nncourse.commands.progress import run_check

    return run_check(Path(args.notebook), _root(), exercise_id=args.exercise)


def cmd_grade(args: argparse.Namespace) -> int:
    from nncourse.checks import EXERCISES
    from nncourse.grading.runner import Limits
    from nncourse.grading.sandbox import sandbox_status

    limits = Limits(task_s=args.task_timeout, submission_s=args.submission_timeout, memory_mb=args.memory_mb)
    sandboxed = not args.unsafe_no_sandbox
    if args.gradescope_autograder:  # built here, run on Gradescope: this machine needs no sandbox for it
        from nncourse.grading.autograder import build_autograder

        try:
            zip_path = build_autograder(
                _root(),
                args.gradescope_autograder,
                Path(args.out or "."),
                limits=limits,
                policy=args.partial_credit,
                seed=args.seed,
                sandboxed=sandboxed,
            )
        except (KeyError, FileNotFoundError) as exc:
            print(f"grade: {exc}", file=sys.stderr)
            return 2
        print(f"wrote {zip_path}: upload it as the assignment's autograder on Gradescope")
        return 0
    works, why = sandbox_status()
    if sandboxed and not works:
        print(
            f"refusing to run learner code without the sandbox: {why}.\n"
            "Install bubblewrap (README, 'For instructors'), or pass --unsafe-no-sandbox to run every submission "
            "with YOUR rights (it can read and change your files).",
            file=sys.stderr,
        )
        return 2
    if not sandboxed:
        print(
            "WARNING: --unsafe-no-sandbox: learner code runs with your rights, guarded only by an audit hook",
            file=sys.stderr,
        )
    if args.selftest:
        from nncourse.grading.selftest import selftest

        ids = [args.exercise] if args.exercise else sorted(EXERCISES)
        ok = selftest(
            _root(),
            ids,
            limits=Limits(task_s=min(args.task_timeout, 3.0), submission_s=60.0),
            jobs=args.jobs or 2,
            sandboxed=sandboxed,
        )
        print("selftest passed" if ok else "SELFTEST FAILED")
        return 0 if ok else 1
    if not args.submissions or not args.out:
        print(
            "grade needs SUBMISSIONS and --out DIR (or --selftest, or --gradescope-autograder EXERCISE)",
            file=sys.stderr,
        )
        return 2
    from nncourse.grading.gradebook import GradebookError, grade_many

    try:
        records = grade_many(
            [Path(s) for s in args.submissions],
            Path(args.out),
            _root(),
            exercise_id=args.exercise,
            jobs=args.jobs,
            limits=limits,
            sandboxed=sandboxed,
            seed=args.seed,
            policy=args.partial_credit,
        )
    except (FileNotFoundError, GradebookError) as exc:
        print(f"grade: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            f"interrupted: finished submissions are kept; the gradebook of what is done is in {Path(args.out) / 'grades.csv'}; "
            "run the same command again to resume",
            file=sys.stderr,
        )
        return 130
    scores = [r["score"] for r in records]
    print(
        f"graded {len(records)} submissions; mean score {sum(scores) / max(len(scores), 1):.2f}; gradebook: {Path(args.out) / 'grades.csv'}"
    )
    return 0


def cmd_workspace(args: argparse.Namespace) -> int:
    from nncourse.commands.workspace import run_workspace

    return run_workspace(_root(), Path(args.path) if args.path else None, quiet=args.quiet)


def cmd_progress(args: argparse.Namespace) -> int:
    from nncourse.commands.progress import progress

    progress(_root(), Path(args.workspace) if args.workspace else None)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nncourse", description="The neural-networks course's command line.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("doctor", help="check versions, device, threads and the offline data sets")
    p.set_defaults(func=cmd_doctor)
    p = sub.add_parser("release", help="write exercises/ from solutions/")
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 if exercises/ is out of date")
    p.add_argument("--force", action="store_true", help="overwrite exercise files even if they hold someone's work")
    p.add_argument("--solutions", help="solutions folder (default: ./solutions)")
    p.add_argument("--exercises", help="exercises folder (default: ./exercises)")
    p.set_defaults(func=cmd_release)
    p = sub.add_parser("refresh", help="re-run notebooks and store their outputs (for authors)")
    p.add_argument("notebooks", nargs="*", help="notebooks to refresh (default: notebooks/ and solutions/)")
    p.add_argument("--timeout", type=int, default=300, help="seconds per cell")
    p.set_defaults(func=cmd_refresh)
    p = sub.add_parser(
        "check",
        help="grade your exercise notebook on the public cases (exit 0: all pass, 1: wrong or to do, 2: not an exercise)",
    )
    p.add_argument("notebook")
    p.add_argument("--exercise", help="exercise id, e.g. 01_perceptron (default: from the file name)")
    p.set_defaults(func=cmd_check)
    p = sub.add_parser("grade", help="grade submitted exercise notebooks (instructors)")
    p.add_argument("submissions", nargs="*", help="notebooks or folders of notebooks")
    p.add_argument("--out", help="output folder: grades.csv, results.jsonl, feedback/, gradescope/")
    p.add_argument("--exercise", help="exercise id for every submission (default: from each file name)")
    p.add_argument("--jobs", type=int, default=None, help="submissions graded at once (default: CPU cores)")
    p.add_argument("--task-timeout", type=float, default=10.0, help="seconds per task")
    p.add_argument("--submission-timeout", type=float, default=60.0, help="seconds per submission")
    p.add_argument("--memory-mb", type=int, default=1024, help="memory per submission beyond start-up")
    p.add_argument("--selftest", action="store_true", help="prove solutions score 100%%, blanks and attacks 0%%")
    p.add_argument(
        "--seed", type=int, default=None, help="seed of the grading cases (default: drawn, then recorded in --out)"
    )
    p.add_argument(
        "--partial-credit",
        choices=("all", "per-case"),
        default="all",
        help="a task scores when all its cases pass (default), or per case",
    )
    p.add_argument(
        "--gradescope-autograder",
        metavar="EXERCISE",
        help="write Gradescope's autograder zip for EXERCISE into --out (default: .)",
    )
    p.add_argument(
        "--unsafe-no-sandbox",
        action="store_true",
        help="run learner code WITH YOUR RIGHTS when bubblewrap is missing (not for real classes)",
    )
    p.set_defaults(func=cmd_grade)
    p = sub.add_parser(
        "workspace", help="make or update your own copies of the notebooks (workspace/); never overwrites your changes"
    )
    p.add_argument("--path", help="workspace folder (default: ./workspace)")
    p.add_argument(
        "--quiet", action="store_true", help="only say what changed in bulk, and which new versions are offered"
    )
    p.set_defaults(func=cmd_workspace)
    p = sub.add_parser(
        "progress", help="a table of every exercise in your workspace: score in points, tasks wrong and to do"
    )
    p.add_argument("--workspace", help="workspace folder (default: ./workspace)")
    p.set_defaults(func=cmd_progress)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
