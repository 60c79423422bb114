"""A pytest plugin for benchmarks/suite_timings.py: wall and CPU seconds of every test item.

Load it with ``-p pytest_cputime`` (``benchmarks/`` on ``PYTHONPATH``) and set ``KERAS_TL_TIMES`` to a
file: every item (setup + call + teardown) appends one JSON line ``{"nodeid", "wall", "cpu", "outcome"}``,
and each process appends one ``{"collect": seconds}`` line for its collection (imports included). ``cpu``
is the process's user + system time, all threads, plus that of the child processes it waited for (tests
that start a new Python): under load it moves far less than ``wall``. Works under pytest-xdist (each
worker appends its own lines; the controller none).
"""

from __future__ import annotations

import json
import os
import resource
import time

_FILE = os.environ.get("KERAS_TL_TIMES")
_start: dict[str, tuple[float, float]] = {}
_outcome: dict[str, str] = {}
_collect_start = [0.0]


def _cpu() -> float:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


_controller = [False]  # the pytest-xdist controller: its workers write the lines (it only relays their reports)


def pytest_configure(config):
    _controller[0] = bool(getattr(config.option, "numprocesses", None)) and not hasattr(config, "workerinput")


def _write(record: dict) -> None:
    if _FILE and not _controller[0]:
        with open(_FILE, "a", encoding="utf-8") as f:  # one short line per write: appends do not interleave
            f.write(json.dumps(record) + "\n")


def pytest_collection(session):
    _collect_start[0] = time.perf_counter()


def pytest_collection_finish(session):
    _write({"collect": round(time.perf_counter() - _collect_start[0], 3), "items": len(session.items), "pid": os.getpid()})


def pytest_runtest_logstart(nodeid, location):
    _start[nodeid] = (time.perf_counter(), _cpu())


def pytest_runtest_logreport(report):
    if report.failed or (report.when == "call") or (report.skipped and report.when == "setup"):
        _outcome[report.nodeid] = "failed" if report.failed else report.outcome


def pytest_runtest_logfinish(nodeid, location):
    wall0, cpu0 = _start.pop(nodeid, (time.perf_counter(), _cpu()))
    _write({"nodeid": nodeid, "wall": round(time.perf_counter() - wall0, 3), "cpu": round(_cpu() - cpu0, 3),
            "outcome": _outcome.pop(nodeid, "passed")})
