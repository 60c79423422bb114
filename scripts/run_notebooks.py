"""Run notebooks with a chosen QUICK setting and record time, result and the accuracies they print.

Used by ``scripts/gpu_validate.sh``; needs only ``nbformat``, ``nbclient`` and ``ipykernel``.
Each notebook is copied to a temporary file with its parameters cell rewritten (``QUICK = True``
becomes ``QUICK = False`` with ``--full``), executed with ``nbclient`` in ``notebooks/`` (as nbval
does), and a row is appended to ``--out`` (tab-separated): notebook, result, seconds, and every
output line that mentions an accuracy. The executed copies are kept in ``--keep`` if given.

    python scripts/run_notebooks.py --full --out results.tsv notebooks/01_feature_extraction.ipynb

A failing cell (a final ``assert`` included) marks the notebook FAILED and the run goes on;
the exit status is the number of failed notebooks (capped at 100).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

QUICK_LINE = re.compile(r"^QUICK\s*=\s*True\b", re.MULTILINE)
ACCURACY = re.compile(r"acc(uracy)?\b|top-1", re.IGNORECASE)
PROGRESS = re.compile(r"\d+/step\b|\d+/\d+ .*- \d+m?s")  # Keras fit/predict progress lines
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def set_quick(nb, quick: bool) -> bool:
    """Rewrite ``QUICK = True`` in the first code cell that has it; False if no cell has it."""
    for cell in nb.cells:
        if cell.cell_type == "code" and QUICK_LINE.search(cell.source):
            if not quick:
                cell.source = QUICK_LINE.sub("QUICK = False", cell.source, count=1)
            return True
    return False


def output_lines(nb) -> list[str]:
    lines = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            text = out.get("text") or out.get("data", {}).get("text/plain", "")
            text = "".join(text) if isinstance(text, list) else text
            lines += [ln.strip() for ln in text.splitlines() if ACCURACY.search(ln) and not PROGRESS.search(ln)]
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+")
    parser.add_argument("--full", action="store_true", help="QUICK = False (the full size)")
    parser.add_argument("--out", required=True, help="tab-separated results, appended")
    parser.add_argument("--timeout", type=int, default=7200, help="seconds per cell")
    parser.add_argument("--keep", help="folder for the executed copies")
    args = parser.parse_args(argv)
    failed = 0
    keep = Path(args.keep) if args.keep else None
    if keep:
        keep.mkdir(parents=True, exist_ok=True)
    for name in args.notebooks:
        path = Path(name).resolve()
        nb = nbformat.read(path, as_version=4)
        has_quick = set_quick(nb, quick=not args.full)
        client = NotebookClient(nb, timeout=args.timeout, kernel_name="python3",
                                resources={"metadata": {"path": str(path.parent)}})
        t0 = time.perf_counter()
        try:
            client.execute()
            result = "passed" if has_quick else "passed (no QUICK line: ran as written)"
        except CellExecutionError as exc:
            failed += 1
            result = "FAILED: " + (ANSI.sub("", str(exc)).strip().splitlines() or ["?"])[-1][:300]
        except Exception as exc:  # kernel died, timeout
            failed += 1
            result = f"FAILED: {type(exc).__name__}: {str(exc)[:300]}"
        seconds = time.perf_counter() - t0
        if keep:
            nbformat.write(nb, keep / path.name)
        accuracies = " | ".join(output_lines(nb))[:4000].replace("\t", " ")
        with open(args.out, "a") as fh:
            fh.write(f"{path.name}\t{result}\t{seconds:.1f}\t{accuracies}\n")
        print(f"{path.name:<44} {seconds:8.1f} s  {result}", flush=True)
    return min(failed, 100)


if __name__ == "__main__":
    sys.exit(main())
