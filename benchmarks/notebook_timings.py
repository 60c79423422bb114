"""Benchmark: how long each notebook takes in QUICK mode (the size CI runs), and the whole suite.

Each notebook runs in its own process exactly as ``make notebooks`` runs it
(``pytest --nbval-lax``), against this checkout (``PYTHONPATH`` is set to the repository root),
optionally pinned to ``--cores`` CPU cores with ``taskset`` to mimic a 2-core CI machine.
Prints one row per notebook (seconds, passed or failed) and the total against the budget
(issue 7: the whole suite in QUICK mode on 2 cores in at most 15 minutes).

    .venv/bin/python benchmarks/notebook_timings.py                              # every notebook, 2 cores
    .venv/bin/python benchmarks/notebook_timings.py notebooks/00_tour.ipynb --cores 0
    .venv/bin/python benchmarks/notebook_timings.py --out docs/notebook_timings.md

Run it on a quiet machine: other processes on the same cores lengthen every figure. A failing
notebook is reported (and its last output lines printed), not raised: the script exits non-zero
only when it cannot run (no notebooks, pytest or nbval missing).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_notebook(path: Path, cores: int, timeout: float) -> tuple[float, str, str]:
    cmd = [sys.executable, "-m", "pytest", str(path), "--nbval-lax", "-q", "-p", "no:cacheprovider"]
    if cores > 0 and shutil.which("taskset"):
        cmd = ["taskset", "-c", ",".join(str(i) for i in range(cores))] + cmd
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
               TF_CPP_MIN_LOG_LEVEL="2", MPLBACKEND="Agg")
    t0 = time.perf_counter()
    try:
        run = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
        status = "passed" if run.returncode == 0 else f"FAILED (rc {run.returncode})"
        tail = (run.stdout + run.stderr)[-1500:]
    except subprocess.TimeoutExpired:
        status, tail = f"TIMEOUT ({timeout:.0f} s)", ""
    return time.perf_counter() - t0, status, tail


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="notebooks to run (default: notebooks/*.ipynb)")
    parser.add_argument("--cores", type=int, default=2, help="pin to the first N cores with taskset (0: no pinning)")
    parser.add_argument("--budget-min", type=float, default=15.0, help="budget for the whole suite, minutes")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per notebook")
    parser.add_argument("--out", help="also write the table as Markdown to this file")
    args = parser.parse_args(argv)
    paths = [Path(p) for p in args.notebooks] or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if not paths:
        print("cannot run: no notebooks found", file=sys.stderr)
        return 1
    try:
        import nbval  # noqa: F401
    except ImportError:
        print("cannot run: nbval is not installed (pip install nbval)", file=sys.stderr)
        return 1
    pinned = f"pinned to {args.cores} cores" if args.cores > 0 and shutil.which("taskset") else "not pinned"
    head = (f"# notebook timings, QUICK mode; {platform.machine()}, {os.cpu_count()} CPUs, {pinned}; "
            f"load average at start {os.getloadavg()[0]:.1f}")
    print(head, flush=True)
    rows, total = [], 0.0
    for path in paths:
        seconds, status, tail = run_notebook(path.resolve(), args.cores, args.timeout)
        total += seconds
        rows.append((path.name, seconds, status))
        print(f"{path.name:<44} {seconds:8.1f} s  {status}", flush=True)
        if status != "passed":
            print("    " + tail.replace("\n", "\n    "))
    verdict = "within" if total <= args.budget_min * 60 else "OVER"
    summary = f"total: {total / 60:.1f} min for {len(rows)} notebooks ({verdict} the {args.budget_min:g}-minute budget)"
    print(summary)
    if args.out:
        lines = [head, "", "| notebook | seconds | result |", "|---|---:|---|"]
        lines += [f"| {name} | {sec:.1f} | {status} |" for name, sec, status in rows]
        lines += ["", summary, ""]
        out = Path(args.out)
        tmp = out.with_name(f".tmp-{out.name}")
        tmp.write_text("\n".join(lines))
        tmp.replace(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
