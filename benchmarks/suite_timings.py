"""Benchmark: where the test suite spends its time, against issue 14's budgets.

Budgets (2 CPU cores): each notebook at most 60 s in QUICK mode, all notebooks together at most
10 minutes, no unit test over 10 s, ``make check`` (unit tests + doctests) under 4 minutes,
``make test`` from a fresh clone (set-up included) within 20 minutes.

It runs pytest itself with the ``benchmarks/pytest_cputime.py`` plugin (wall and CPU seconds of every
item, CPU = user + system of the process and the children it waited for), or reads the figures of an
earlier run (``--times``: the plugin's JSON lines; ``--junit``: a ``pytest --junitxml`` file, wall only),
then prints per-file and per-notebook seconds (a notebook's cells are summed), the tests over 10 s, and
the totals against the budgets:

    .venv/bin/python benchmarks/suite_timings.py                      # make check's run: tests + doctests, not slow
    .venv/bin/python benchmarks/suite_timings.py --all                # + the slow tests and the notebooks (make test)
    .venv/bin/python benchmarks/suite_timings.py notebooks/00_tour.ipynb tests/test_saving.py -- -n 2
    .venv/bin/python benchmarks/suite_timings.py --times run.jsonl --setup-seconds 150 --out docs/suite_timings.md
    .venv/bin/python benchmarks/suite_timings.py --fresh-clone-setup  # also time `make setup` in a fresh clone

Arguments after ``--`` go to pytest (``-n 3 --dist loadfile`` for pytest-xdist; then the per-item
seconds are summed over the workers, so the totals are work done, not the run's wall time, which
pytest prints). Under load, wall
seconds grow with the other processes, CPU seconds much less: the load average is printed with
every measurement. Exits non-zero only when it cannot run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUDGETS = {"notebook": 60.0, "notebooks": 600.0, "unit test": 10.0, "make check": 240.0, "make test": 1200.0}
CHECK_ARGS = ["tests", "keras_tl", "--doctest-modules", "-m", "not slow"]
ALL_ARGS = ["tests", "keras_tl", "notebooks", "--doctest-modules", "--nbval-lax"]


def load_avg() -> str:
    return "/".join(f"{v:.1f}" for v in os.getloadavg())


def run_pytest(args: list[str], times: Path) -> tuple[float, float, int]:
    """Run pytest with the timing plugin; returns (wall seconds, CPU seconds, exit code)."""
    env = dict(os.environ, KERAS_TL_TIMES=str(times), TF_CPP_MIN_LOG_LEVEL="2", MPLBACKEND="Agg",
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), str(ROOT / "benchmarks"), os.environ.get("PYTHONPATH")])))
    cmd = [sys.executable, "-m", "pytest", *args, "-q", "-p", "no:cacheprovider", "-p", "pytest_cputime"]
    print("$ " + " ".join(cmd[1:]), flush=True)
    before = os.times()
    t0 = time.perf_counter()
    rc = subprocess.run(cmd, cwd=ROOT, env=env).returncode
    wall = time.perf_counter() - t0
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return wall, cpu, rc


def read_times(path: Path) -> tuple[list[dict], list[float]]:
    items, collect = [], []
    for line in path.read_text().splitlines():
        rec = json.loads(line)
        if "collect" in rec:
            collect.append(rec["collect"])
        else:
            items.append(rec)
    return items, collect


def read_junit(path: Path) -> list[dict]:
    items = []
    for case in ET.parse(path).getroot().iter("testcase"):
        file = case.get("file") or case.get("classname", "").replace(".", "/") + ".py"
        outcome = "failed" if case.find("failure") is not None or case.find("error") is not None else (
            "skipped" if case.find("skipped") is not None else "passed")
        items.append({"nodeid": f"{file}::{case.get('name')}", "wall": float(case.get("time", 0)), "cpu": None,
                      "outcome": outcome})
    return items


def fresh_clone_setup() -> float:
    """``git clone`` this checkout into a temporary folder and time ``make setup`` there (minutes)."""
    with tempfile.TemporaryDirectory(prefix="keras-tl-clone-") as tmp:
        subprocess.run(["git", "clone", "-q", str(ROOT), tmp], check=True)
        print(f"make setup in a fresh clone ({tmp}), load average {load_avg()} ...", flush=True)
        t0 = time.perf_counter()
        subprocess.run(["make", "setup"], cwd=tmp, check=True)
        return time.perf_counter() - t0


def is_notebook(file: str) -> bool:
    return file.endswith(".ipynb")


def report(items: list[dict], collect: list[float], wall: float | None, cpu: float | None, setup: float | None,
           jax_seconds: float | None, head: str, whole_set: bool = True) -> list[str]:
    by_file: dict[str, list[dict]] = defaultdict(list)
    for item in items:
        by_file[item["nodeid"].split("::")[0]].append(item)
    has_cpu = all(i.get("cpu") is not None for i in items)
    fmt_cpu = (lambda v: f"{v:.1f}") if has_cpu else (lambda v: "")

    def total(rows, key):
        return sum(r[key] or 0.0 for r in rows)

    files = sorted(by_file, key=lambda f: -total(by_file[f], "wall"))
    notebooks = [f for f in files if is_notebook(f)]
    units = [f for f in files if not is_notebook(f)]
    lines = [head, ""]
    if notebooks:
        lines += ["| notebook | wall s | CPU s | result | budget 60 s |", "|---|---:|---:|---|---|"]
        for f in notebooks:
            rows = by_file[f]
            bad = [r for r in rows if r["outcome"] == "failed"]
            w = total(rows, "wall")
            lines.append(f"| {Path(f).name} | {w:.1f} | {fmt_cpu(total(rows, 'cpu'))} | "
                         f"{'FAILED' if bad else 'passed'} | {'ok' if w <= BUDGETS['notebook'] else '**over**'} |")
        nb_wall = sum(total(by_file[f], "wall") for f in notebooks)
        lines += ["", f"Notebooks: {nb_wall / 60:.1f} min in all "
                      f"({'within' if nb_wall <= BUDGETS['notebooks'] else '**over**'} the 10-minute budget; "
                      "summed over cells, so with pytest-xdist the wall time is shorter).", ""]
    if units:
        lines += ["| test file (or doctests of a module) | tests | wall s | CPU s | slowest test s |",
                  "|---|---:|---:|---:|---:|"]
        for f in units:
            rows = by_file[f]
            lines.append(f"| {f} | {len(rows)} | {total(rows, 'wall'):.1f} | {fmt_cpu(total(rows, 'cpu'))} | "
                         f"{max(r['wall'] for r in rows):.1f} |")
        unit_items = [r for f in units for r in by_file[f]]
        over = sorted((r for r in unit_items if r["wall"] > BUDGETS["unit test"]), key=lambda r: -r["wall"])
        lines += ["", f"Unit tests and doctests: {len(unit_items)} items, {total(unit_items, 'wall'):.1f} s wall"
                      + (f", {total(unit_items, 'cpu'):.1f} s CPU" if has_cpu else "")
                      + f"; {len(over)} over the 10 s budget" + (":" if over else ".")]
        lines += [f"* {r['nodeid']}: {r['wall']:.1f} s" + (f" ({r['cpu']:.1f} s CPU)" if has_cpu else "") for r in over]
        lines.append("")
    failed = [i["nodeid"] for i in items if i["outcome"] == "failed"]
    if collect:
        lines.append(f"Collection (imports included): {max(collect):.1f} s"
                     + (f" in each of {len(collect)} processes" if len(collect) > 1 else "") + ".")
    if wall is not None:
        kind = "make test's pytest run" if notebooks else "make check"
        budget = BUDGETS["make test"] if notebooks else BUDGETS["make check"]
        lines.append(f"Whole run: **{wall:.0f} s wall** ({wall / 60:.1f} min)" + (f", {cpu:.0f} s CPU" if cpu else "")
                     + ("" if notebooks or not whole_set else f"; {kind}'s budget {budget / 60:.0f} min: "
                        + ("**met**" if wall <= budget else "**over**")) + ".")
    if setup is not None:
        lines.append(f"`make setup` in a fresh clone: {setup:.0f} s.")
    if notebooks and wall is not None and whole_set:
        parts = [wall] + [v for v in (setup, jax_seconds) if v is not None]
        names = ["pytest"] + [n for n, v in (("setup", setup), ("unit-jax", jax_seconds)) if v is not None]
        est = sum(parts)
        lines.append(f"make test ({' + '.join(names)}): {est / 60:.1f} min against 20 min: "
                     + ("**met**" if est <= BUDGETS["make test"] else "**over**") + ".")
    if failed:
        lines.append(f"FAILED: {', '.join(failed[:20])}" + (" ..." if len(failed) > 20 else ""))
    return lines + [""]


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[: argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", help="test files, folders or notebooks (default: make check's set)")
    parser.add_argument("--all", action="store_true", help="make test's set: slow tests and notebooks too")
    parser.add_argument("--times", help="report this pytest_cputime JSON-lines file instead of running pytest")
    parser.add_argument("--junit", help="report this pytest --junitxml file instead of running pytest")
    parser.add_argument("--fresh-clone-setup", action="store_true", help="also time `make setup` in a fresh clone")
    parser.add_argument("--setup-seconds", type=float, help="a measured `make setup` time, for the make test total")
    parser.add_argument("--jax-seconds", type=float, help="a measured `make unit-jax` time, for the make test total")
    parser.add_argument("--out", help="also write the report as Markdown to this file")
    args = parser.parse_args(argv)

    head = (f"# suite timings; {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
            f"load average (1/5/15 min) at start {load_avg()}")
    print(head, flush=True)
    setup = fresh_clone_setup() if args.fresh_clone_setup else args.setup_seconds
    wall = cpu = None
    if args.junit:
        items, collect = read_junit(Path(args.junit)), []
    elif args.times:
        items, collect = read_times(Path(args.times))
    else:
        try:
            import pytest  # noqa: F401
        except ImportError:
            print("cannot run: pytest is not installed", file=sys.stderr)
            return 1
        pytest_args = args.paths or (ALL_ARGS if args.all else CHECK_ARGS)
        if any(is_notebook(p) or p.rstrip("/").endswith("notebooks") for p in pytest_args) and "--nbval-lax" not in pytest_args:
            pytest_args = [*pytest_args, "--nbval-lax"]
        if any(p.rstrip("/").endswith("keras_tl") for p in pytest_args) and "--doctest-modules" not in pytest_args:
            pytest_args = [*pytest_args, "--doctest-modules"]
        with tempfile.TemporaryDirectory() as tmp:
            times = Path(tmp) / "times.jsonl"
            wall, cpu, _ = run_pytest([*pytest_args, *extra], times)
            if not times.is_file():
                print("cannot run: pytest recorded nothing", file=sys.stderr)
                return 1
            items, collect = read_times(times)
        head += f"; at the end {load_avg()}; pytest {' '.join(pytest_args + extra)}"
    lines = report(items, collect, wall, cpu, setup, args.jax_seconds, head, whole_set=not args.paths)
    print("\n".join(lines[1:]))
    if args.out:
        out = Path(args.out)
        tmp = out.with_name(f".tmp-{out.name}")
        tmp.write_text("\n".join(lines))
        tmp.replace(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
