"""Run notebooks at seed offsets 0, 1 and 2 and write every asserted claim to ``docs/verdicts.md``.

Another CPU rounds differently, which is just another random draw. So a notebook's claim must hold at
``KERAS_TL_SEED_OFFSET`` 0, 1 and 2: every seed, split, labelled subset and random-weights draw in the
notebook moves with the offset (its parameters cell reads it). This script runs each notebook once per
offset (in ``notebooks/``, as nbval does), with ``KERAS_TL_VERDICTS`` set so that every
``Comparison.check(...)`` and ``keras_tl.claim(...)`` the notebook asserts is recorded with its figure,
and writes:

* ``docs/verdicts.json``: the results, merged with those already there (rerun one notebook, keep the rest);
* ``docs/verdicts.md``: per notebook and offset, passed or failed, the run time (wall and CPU), and each
  recorded claim with its figure; ``--full`` runs and records full mode (``QUICK = False``) separately.

    python scripts/verdicts.py                                   # all notebooks, offsets 0 1 2 (make verdicts)
    python scripts/verdicts.py notebooks/16_your_own_dataset.ipynb --offsets 1 2
    python scripts/verdicts.py --full --offsets 0 notebooks/01_feature_extraction.ipynb

The exit status is 1 when any run failed. Wall times measured while other jobs share the cores are
not budget figures (``benchmarks/notebook_timings.py`` measures those).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from run_notebooks import ANSI, PROGRESS, set_quick  # scripts/ is on sys.path when this file runs

ROOT = Path(__file__).resolve().parent.parent


def machine() -> str:
    """The CPU model and whether it has AVX-512 (TensorFlow then turns oneDNN on)."""
    model, flags = platform.processor() or "?", ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name") and model in ("?", "", "x86_64"):
                model = line.split(":", 1)[1].strip()
            if line.startswith("flags"):
                flags = line
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, AVX-512 {'yes' if 'avx512f' in flags else 'no'}"


def execute_one(notebook: Path, offset: int, full: bool, timeout: int) -> dict:
    """Run one notebook in this process's environment (called in a child process). Returns its result."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(notebook, as_version=4)
    set_quick(nb, quick=not full)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(notebook.parent)}})
    error = ""
    try:
        client.execute()
    except CellExecutionError as exc:
        lines = [ln for ln in ANSI.sub("", str(exc)).strip().splitlines() if ln.strip()]
        error = (lines or ["?"])[-1][:600]
    except Exception as exc:  # kernel died, timeout
        error = f"{type(exc).__name__}: {str(exc)[:600]}"
    printed = []  # what the cells that assert printed (the figures behind a plain `assert`)
    for cell in nb.cells:
        if cell.cell_type != "code" or not re.search(r"\bassert\b|\.check\(|claim\(", cell.source):
            continue
        for out in cell.get("outputs", []):
            text = out.get("text") or out.get("data", {}).get("text/plain", "")
            text = "".join(text) if isinstance(text, list) else text
            printed += [ANSI.sub("", ln).strip() for ln in text.splitlines()
                        if ln.strip() and not PROGRESS.search(ln) and "━" not in ln]
    return {"passed": not error, "error": error, "printed": printed[-12:]}


def run(notebook: Path, offset: int, full: bool, timeout: int) -> dict:
    """Run one notebook at one offset in a child process; wall and CPU seconds measured around it."""
    with tempfile.TemporaryDirectory(prefix="keras_tl_verdicts_") as tmp:
        records, result_file = Path(tmp) / "claims.jsonl", Path(tmp) / "result.json"
        env = dict(os.environ, KERAS_TL_SEED_OFFSET=str(offset), KERAS_TL_VERDICTS=str(records),
                   PYTHONPATH=os.pathsep.join([str(ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        cmd = [sys.executable, __file__, "--one", str(notebook), "--offsets", str(offset),
               "--timeout", str(timeout), "--result", str(result_file)] + (["--full"] if full else [])
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        log = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        try:
            result = json.loads(result_file.read_text())
        except (OSError, ValueError):
            result = {"passed": False, "error": f"the runner itself failed (status {status}): {log[-600:]}",
                      "printed": []}
        claims = [json.loads(ln) for ln in records.read_text().splitlines()] if records.exists() else []
    result.update(seconds=round(wall, 1), cpu_seconds=round(usage.ru_utime + usage.ru_stime, 1), claims=claims,
                  date=_dt.date.today().isoformat(), machine=machine())
    return result


def render(results: dict) -> str:
    """docs/verdicts.md from the merged results."""
    lines = [
        "# Verdicts at seed offsets 0, 1 and 2",
        "",
        "Written by `make verdicts` (`scripts/verdicts.py`); do not edit by hand. Each notebook runs once per",
        "`KERAS_TL_SEED_OFFSET`: every seed, split, labelled subset and random-weights draw moves with the",
        "offset, so the three runs are three independent draws, as another CPU's rounding would be. A claim",
        "must hold at all three (the rule is in CONTRIBUTING.md). Each claim the notebook asserts with",
        "`Comparison.check` or `keras_tl.claim` is listed with its figure; where a notebook asserts with a",
        "plain `assert`, the lines its asserting cells printed are shown instead. Times are wall / CPU",
        "seconds of the whole notebook; runs that shared the cores with other jobs are slower than alone.",
        "",
    ]
    for mode, title in (("quick", "QUICK mode (what CI runs)"), ("full", "Full mode (`QUICK = False`)")):
        runs = results.get(mode, {})
        if not runs:
            continue
        lines += [f"## {title}", ""]
        names = sorted(runs)
        lines += ["| notebook | " + " | ".join(f"offset {o}" for o in offsets_of(runs)) + " |",
                  "| --- |" + " --- |" * len(offsets_of(runs))]
        for name in names:
            cells = []
            for o in offsets_of(runs):
                r = runs[name].get(str(o))
                cells.append("" if r is None else
                             f"{'passed' if r['passed'] else '**FAILED**'} ({r['seconds']:.0f} s / {r['cpu_seconds']:.0f} s CPU)")
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        lines.append("")
        for name in names:
            lines += [f"### {name}", ""]
            for o in offsets_of(runs):
                r = runs[name].get(str(o))
                if r is None:
                    continue
                lines.append(f"- **offset {o}**: {'passed' if r['passed'] else 'FAILED'} ({r['date']}, {r['machine']})")
                if r.get("error"):
                    lines.append(f"  - error: `{r['error'][:400]}`")
                for c in r.get("claims", []):
                    room = slack(c)
                    lines.append(f"  - {'✓' if c['passed'] else '✗'} {c['claim']}: {c['figure']}"
                                 + ("" if room is None else f" (slack {room:+.2f} half-widths)"))
                if not r.get("claims"):
                    lines += [f"  - printed: {ln}" for ln in r.get("printed", [])[-6:]]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def slack(claim: dict) -> float | None:
    """How far a checked comparison clears its bounds, in half-widths of its interval (None: not a check).

    The smaller of (lower end - 0) and (mean - margin), over the interval's half-width. CONTRIBUTING.md's
    rule asks for at least 0.25 at every offset, so that another draw keeps the verdict.
    """
    if "low" not in claim or claim.get("n", 0) < 2:
        return None
    half = (claim["high"] - claim["low"]) / 2
    room = min(claim["low"], claim["mean"] - claim["margin"]) if "CI above 0" in claim["claim"] else \
        claim["mean"] - claim["margin"]
    return room / half if half > 0 else float("inf")


def offsets_of(runs: dict) -> list[int]:
    return sorted({int(o) for per in runs.values() for o in per})


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="default: every notebooks/*.ipynb")
    parser.add_argument("--offsets", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--full", action="store_true", help="QUICK = False (full mode), recorded separately")
    parser.add_argument("--jobs", type=int, default=2, help="notebooks run at once (default 2: the cores)")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    parser.add_argument("--json", default=str(ROOT / "docs" / "verdicts.json"))
    parser.add_argument("--out", default=str(ROOT / "docs" / "verdicts.md"))
    parser.add_argument("--merge", nargs="+", metavar="JSON",
                        help="merge these results files (runs made elsewhere) into --json, rewrite --out, run nothing")
    parser.add_argument("--one", help=argparse.SUPPRESS)       # internal: run one notebook in this process
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        result = execute_one(Path(args.one).resolve(), args.offsets[0], args.full, args.timeout)
        Path(args.result).write_text(json.dumps(result))
        return 0
    path = Path(args.json)
    results = json.loads(path.read_text()) if path.exists() else {}
    if args.merge:
        for other in args.merge:
            for mode, runs in json.loads(Path(other).read_text()).items():
                for name, per in runs.items():
                    results.setdefault(mode, {}).setdefault(name, {}).update(per)
        path.write_text(json.dumps(results, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
        Path(args.out).write_text(render(results))
        print(f"merged {len(args.merge)} file(s) into {path}; wrote {args.out}")
        return 0
    if args.jobs < 1 or any(o < 0 for o in args.offsets):
        parser.error(f"--jobs {args.jobs} and --offsets {args.offsets}: give jobs ≥ 1 and offsets ≥ 0")
    notebooks = [Path(n).resolve() for n in args.notebooks] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    missing = [str(n) for n in notebooks if not n.is_file()]
    if missing:
        parser.error(f"no such notebook: {', '.join(missing)}")
    todo = [(nb, o) for o in args.offsets for nb in notebooks]
    print(f"{len(todo)} runs ({len(notebooks)} notebooks x offsets {args.offsets}, "
          f"{'full' if args.full else 'QUICK'} mode), {args.jobs} at a time", flush=True)

    def job(item):
        nb, o = item
        r = run(nb, o, args.full, args.timeout)
        status = "passed" if r["passed"] else "FAILED: " + r["error"][:200]
        print(f"offset {o}  {nb.name:<44} {r['seconds']:7.1f} s  {r['cpu_seconds']:7.1f} s CPU  {status}", flush=True)
        return nb.name, o, r

    with ThreadPoolExecutor(args.jobs) as pool:
        done = list(pool.map(job, todo))
    results = json.loads(path.read_text()) if path.exists() else {}   # again: another run may have written it
    mode = "full" if args.full else "quick"
    for name, o, r in done:
        results.setdefault(mode, {}).setdefault(name, {})[str(o)] = r
    path.write_text(json.dumps(results, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
    Path(args.out).write_text(render(results))
    failed = [(name, o) for name, o, r in done if not r["passed"]]
    print(f"wrote {args.out}; {len(done) - len(failed)} passed, {len(failed)} failed"
          + (": " + ", ".join(f"{n} at offset {o}" for n, o in failed) if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
