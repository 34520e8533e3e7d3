"""Grade many submissions in parallel and write the gradebook, resumable and idempotent.

Output folder (only the grader writes it; no submission can see it):
    grading.json                 the grading seed and partial-credit policy of this gradebook
    results.jsonl                one line per graded submission, appended as each finishes
    grades.csv                   one row per submission, one column per task (rebuilt from results.jsonl)
    grades_<exercise>.csv        the same, one file per exercise
    summary.csv                  mean, median and max per exercise and task
    feedback/<name>.md           per-task score and message (never the grading code or inputs)
    gradescope/<name>/results.json   Gradescope's autograder format

A submission already in results.jsonl with the same content (sha256) and a final record is not
graded again: an interrupted run resumes where it stopped and a re-run changes nothing. A record
that ended in an internal grader error or in a sandbox killed from outside is not final: it is
graded again. Ctrl-C or SIGTERM stops promptly, keeps every finished record and writes the
reports of what is done. Submissions are only read.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict
from pathlib import Path
from types import FrameType

from tqdm.auto import tqdm

from nncourse.checks import EXERCISES, get_exercise
from nncourse.grading import process
from nncourse.grading.process import Interrupted
from nncourse.grading.reports import write_reports
from nncourse.grading.runner import Limits, grade_answers
from nncourse.grading.submission import collect, file_digest, read_submission

POLICIES = ("all", "per-case")


class GradebookError(ValueError):
    """The output folder was made with another seed or policy, or no submission was found."""


def grade_submission(
    path: Path,
    course_root: Path,
    *,
    exercise_id: str | None = None,
    public: bool = False,
    limits: Limits | None = None,
    protected: tuple[Path, ...] = (),
    sandboxed: bool = True,
    seed: int | None = None,
    policy: str = "all",
) -> dict:
    """Grade one file; always returns a record (an unreadable file or an internal error scores 0 with a message).

    Raises only ``Interrupted`` (the grader is stopping: this record must not be kept).
    """
    record: dict = {
        "file": str(path),
        "student": "",
        "sha256": "",
        "exercise": exercise_id,
        "notes": [],
        "cell_errors": [],
        "error": None,
        "tasks": [],
        "max_score": 0.0,
    }
    try:
        sub = read_submission(path, course_root, set(EXERCISES), exercise_id)
        record.update(
            student=sub.student, sha256=sub.sha256, exercise=sub.exercise_id, notes=sub.notes, error=sub.error
        )
        exercise = get_exercise(sub.exercise_id) if sub.exercise_id else None
        if exercise is not None:
            record["max_score"] = float(sum(t.points for t in exercise.tasks))
            record["tasks"] = [
                {"name": t.name, "points": 0.0, "max_points": t.points, "status": "missing", "message": sub.error or ""}
                for t in exercise.tasks
            ]
        if sub.error is None and exercise is not None:
            report = grade_answers(
                exercise,
                sub.answers,
                public=public,
                limits=limits,
                course_root=course_root,
                extra_protected=protected,
                prelude=sub.prelude,
                sandboxed=sandboxed,
                seed=seed,
                policy=policy,
            )
            record["tasks"] = [asdict(t) for t in report.tasks]
            record["cell_errors"] = report.cell_errors
    except Interrupted:
        raise
    except Exception as exc:  # never lose a submission to a grader bug; graded again next run
        if process.STOP.is_set():
            raise Interrupted("the grader is stopping") from exc
        record["error"] = (
            f"internal grader error ({type(exc).__name__}: {str(exc)[:300]}); it will be graded again on the next run"
        )
        record["internal_error"] = True
    record["seed"], record["policy"] = seed, policy
    record["final"] = not record.get("internal_error") and all(t.get("status") != "killed" for t in record["tasks"])
    record["score"] = round(sum(t["points"] for t in record["tasks"]), 4)
    return record


def load_results(results: Path) -> list[dict]:
    """The records of ``results.jsonl``; a torn or unreadable line is skipped (that file is graded again)."""
    if not results.exists():
        return []
    records = []
    for line in results.read_bytes().split(b"\n"):
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):
            continue
        if isinstance(record, dict) and isinstance(record.get("file"), str) and isinstance(record.get("tasks"), list):
            records.append(record)
    return records


def _settings(out: Path, seed: int | None, policy: str) -> tuple[int, str]:
    """The gradebook's seed and policy: given, recorded by an earlier run, or (seed) drawn now and recorded."""
    meta = out / "grading.json"
    recorded = json.loads(meta.read_text()) if meta.exists() else {}
    if recorded:
        if (seed is not None and seed != recorded["seed"]) or policy != recorded.get("policy", "all"):
            raise GradebookError(
                f"{out} was graded with seed {recorded['seed']} and policy {recorded.get('policy', 'all')!r}; "
                "use a new --out folder to grade with other settings (earlier grades are never changed)"
            )
        return int(recorded["seed"]), recorded.get("policy", "all")
    seed = secrets.randbelow(2**31) if seed is None else int(seed)
    meta.write_text(json.dumps({"seed": seed, "policy": policy}) + "\n")
    return seed, policy


def grade_many(
    inputs: list[Path],
    out: Path,
    course_root: Path,
    *,
    exercise_id: str | None = None,
    jobs: int | None = None,
    limits: Limits | None = None,
    progress: bool = True,
    sandboxed: bool = True,
    seed: int | None = None,
    policy: str = "all",
) -> list[dict]:
    """Grade every submission not graded yet; write all outputs; return the records of this gradebook.

    Raises ``GradebookError`` (nothing to grade, or other settings than the folder's) and
    ``KeyboardInterrupt`` after an interruption (the finished records and the reports are written).
    """
    if policy not in POLICIES:
        raise GradebookError(f"policy must be one of {POLICIES}, got {policy!r}")
    files = collect(inputs)
    if not files:
        raise GradebookError(f"no .ipynb submissions found in {', '.join(map(str, inputs))}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    seed, policy = _settings(out, seed, policy)
    results = out / "results.jsonl"
    done = {(r["file"], r.get("sha256")) for r in load_results(results) if r.get("sha256") and r.get("final", True)}
    todo = [path for path in files if (str(path), file_digest(path)) not in done]
    if results.exists() and results.stat().st_size and not results.read_bytes().endswith(b"\n"):
        with results.open("ab") as sink:  # a line cut by an interruption: end it so it swallows nothing
            sink.write(b"\n")
    jobs = jobs or max(1, os.cpu_count() or 1)
    lock = threading.Lock()
    interrupted = False
    written: set = set()
    previous = _on_signals()
    pool = ThreadPoolExecutor(max_workers=jobs)
    try:
        with results.open("a", encoding="utf-8") as sink:
            futures = [
                pool.submit(
                    grade_submission,
                    p,
                    course_root,
                    exercise_id=exercise_id,
                    limits=limits,
                    protected=(out.resolve(),),
                    sandboxed=sandboxed,
                    seed=seed,
                    policy=policy,
                )
                for p in todo
            ]
            try:
                for future in tqdm(as_completed(futures), total=len(futures), desc="grading", disable=not progress):
                    written.add(future)
                    try:
                        record = future.result()
                    except Interrupted:
                        continue
                    with lock:
                        sink.write(json.dumps(record) + "\n")
                        sink.flush()
                        os.fsync(sink.fileno())
            except KeyboardInterrupt:
                interrupted = True
                process.stop_all()
                pool.shutdown(wait=True, cancel_futures=True)
                for future in futures:  # records finished while stopping are kept too
                    if (
                        future not in written
                        and future.done()
                        and not future.cancelled()
                        and future.exception() is None
                    ):
                        sink.write(json.dumps(future.result()) + "\n")
                sink.flush()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        process.close_reference_pool()
        _restore_signals(previous)
        records = _latest(load_results(results), files)
        write_reports(records, out)
        process.STOP.clear()
    if interrupted:
        raise KeyboardInterrupt
    return records


def _latest(records: list[dict], files: list[Path]) -> list[dict]:
    """The newest record of each file given (in file order)."""
    by_file = {r["file"]: r for r in records}
    return [by_file[str(p)] for p in files if str(p) in by_file]


def _on_signals() -> dict:
    """SIGTERM is handled like Ctrl-C (KeyboardInterrupt) while grading, in the main thread only."""
    if threading.current_thread() is not threading.main_thread():
        return {}

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    return {signal.SIGTERM: signal.signal(signal.SIGTERM, stop)}


def _restore_signals(previous: dict) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler)
