"""What a notebook pays before its first line of content: interpreter, imports, kernel start, set-up cell.

    python benchmarks/startup.py            # median of 5 fresh processes / kernels per row
    python benchmarks/startup.py --runs 9

Every import is timed in a fresh interpreter (a second import in one process would be free), and
every kernel is a fresh one, as each course notebook gets. The "heavy modules" column lists which of
torch, scikit-learn, scipy and matplotlib the row loaded: `import nncourse` and `import nncourse.checks`
must load none of them (numpy-only chapters and exercises do not pay for torch). With about 55
notebooks at the end of the course, the last row times 55 is the start-up share of the course budget.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("torch", "sklearn", "scipy", "matplotlib")
SETUP_CELL = "from nncourse import setup_notebook\n\nctx = setup_notebook(seed=0)"
COURSE_NOTEBOOKS = 55

# Each snippet runs in a fresh interpreter and prints {"seconds": ..., "heavy": [...]}.
PROBE = """
import json, sys, time
t0 = time.perf_counter()
{code}
seconds = time.perf_counter() - t0
print(json.dumps({{"seconds": seconds, "heavy": [m for m in {heavy!r} if m in sys.modules]}}))
"""
IMPORTS = {
    "import nncourse": "import nncourse",
    "import nncourse.checks": "import nncourse.checks",
    "setup_notebook()": SETUP_CELL,
    "import torch (for scale)": "import torch",
}


def _env() -> dict[str, str]:
    """The current environment with this checkout first on the path (kernels inherit it)."""
    path = os.environ.get("PYTHONPATH", "")
    return {**os.environ, "PYTHONPATH": str(ROOT) + (os.pathsep + path if path else "")}


def time_interpreter() -> float:
    """Wall time of ``python -c pass``: the floor under every row."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True, env=_env())
    return time.perf_counter() - start


def time_import(code: str) -> tuple[float, list[str]]:
    """Seconds ``code`` takes in a fresh interpreter, and the heavy modules it left loaded."""
    probe = PROBE.format(code=code, heavy=HEAVY)
    done = subprocess.run([sys.executable, "-c", probe], check=True, env=_env(), capture_output=True, text=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return float(result["seconds"]), list(result["heavy"])


def time_kernel(cell: str) -> tuple[float, float]:
    """Seconds to start a fresh ``python3`` kernel until it answers, then to run ``cell`` in it."""
    from jupyter_client.manager import start_new_kernel

    start = time.perf_counter()
    manager, client = start_new_kernel(
        kernel_name="python3", startup_timeout=120, env=_env(), cwd=str(ROOT / "notebooks"), stderr=subprocess.DEVNULL
    )
    ready = time.perf_counter()
    try:
        reply = client.execute_interactive(cell, timeout=120, store_history=False, output_hook=lambda msg: None)
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"the cell failed in the kernel: {reply['content'].get('evalue')}")
        done = time.perf_counter()
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    return ready - start, done - ready


def _row(name: str, samples: list[float], heavy: str = "-") -> tuple[str, float, float, float, str]:
    return name, statistics.median(samples), min(samples), max(samples), heavy


def measure(runs: int) -> list[tuple[str, float, float, float, str]]:
    rows = [_row("python -c pass (interpreter)", [time_interpreter() for _ in range(runs)])]
    for name, code in IMPORTS.items():
        results = [time_import(code) for _ in range(runs)]
        heavy = ", ".join(results[0][1]) or "none"
        rows.append(_row(name, [seconds for seconds, _ in results], heavy))
    kernels = [time_kernel(SETUP_CELL) for _ in range(runs)]
    rows.append(_row("kernel start (until it answers)", [start for start, _ in kernels]))
    rows.append(_row("set-up cell in that kernel", [cell for _, cell in kernels]))
    rows.append(_row("kernel start + set-up cell", [start + cell for start, cell in kernels]))
    return rows


def print_table(rows: list[tuple[str, float, float, float, str]], runs: int) -> None:
    width = max(len(r[0]) for r in rows)
    print(
        f"Start-up, median of {runs} fresh processes/kernels (Python {sys.version.split()[0]}, {os.cpu_count()} CPUs)"
    )
    print(f"{'what':<{width}}  {'median s':>8}  {'min s':>6}  {'max s':>6}  heavy modules loaded")
    for name, median, low, high, heavy in rows:
        print(f"{name:<{width}}  {median:8.3f}  {low:6.3f}  {high:6.3f}  {heavy}")
    total = rows[-1][1]
    print(
        f"\n{COURSE_NOTEBOOKS} notebooks x {total:.2f} s = {COURSE_NOTEBOOKS * total:.0f} s of the 600 s course budget"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="fresh processes/kernels per row (default 5)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    print_table(measure(args.runs), args.runs)


if __name__ == "__main__":
    main()
