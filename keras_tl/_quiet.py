"""Quiet import: TensorFlow's native start-up lines, filtered at the file-descriptor level.

``TF_CPP_MIN_LOG_LEVEL=2`` silences TensorFlow's own C++ logging, but on TensorFlow 2.21 a few lines are
written through absl *before* absl's logging is initialised, and those ignore the variable (measured on
a 2-core AMD EPYC with AVX-512, where TensorFlow turns oneDNN on; a machine with CUDA libraries but no
driver prints the cudart line too)::

    WARNING: All log messages before absl::InitializeLog() is called are written to STDERR
    I0000 ... port.cc:153] oneDNN custom operations are on. You may see slightly different numerical ...
    I0000 ... cudart_stub.cc:31] Could not find cuda drivers on your machine, GPU will not be used.

On a host with TensorFlow's CUDA libraries but no NVIDIA driver, the first use of TensorFlow also writes an
error-level line, ``E0000 ... cuda_platform.cc:52] failed call to cuInit: ... UNKNOWN ERROR (303)``, which
``TF_CPP_MIN_LOG_LEVEL=2`` keeps (only 3 hides errors). Without a driver (no ``/proc/driver/nvidia``) a failed
cuInit is expected, not news, so keras_tl asks TensorFlow for its devices during the import
(:func:`probe_devices`, under a millisecond; device configuration such as ``tf.config.set_visible_devices``
still works afterwards) and drops that line too. With a driver the line is kept: there it reports a real
problem.

They come from C++ straight to file descriptor 2, so no Python logging setting reaches them.
:func:`native_stderr_filtered` points descriptor 2 at a temporary file while keras_tl imports Keras and
TensorFlow, then writes back every line except these known start-up notices (when
``TF_CPP_MIN_LOG_LEVEL`` ≥ 1 asks for quiet): a real warning or error printed during the import still
reaches the terminal, after the import. ``TF_CPP_MIN_LOG_LEVEL=0`` keeps every line.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
from typing import Iterator

# The informational start-up notices that ignore TF_CPP_MIN_LOG_LEVEL (absl, before InitializeLog).
NOTICES = re.compile(
    r"^WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR$"
    r"|^[IW]\d{4} [\d:. ]+\d+ (port\.cc:\d+\] oneDNN custom operations are on"
    r"|cudart_stub\.cc:\d+\] Could not find cuda drivers"
    r"|cpu_feature_guard\.cc:\d+\] This TensorFlow binary is optimized)"
)


# Only on a host without an NVIDIA driver: there a failed cuInit says nothing.
CUINIT = re.compile(r"^E\d{4} [\d:. ]+\d+ cuda_platform\.cc:\d+\] failed call to cuInit")


def has_nvidia_driver() -> bool:
    """Whether an NVIDIA kernel driver is loaded (Linux: ``/proc/driver/nvidia`` exists)."""
    return os.path.exists("/proc/driver/nvidia")


def probe_devices() -> None:
    """Let an imported TensorFlow look for its devices now (inside the filter) rather than at the first operation."""
    tf = sys.modules.get("tensorflow")
    if tf is not None:
        with contextlib.suppress(Exception):
            tf.config.list_physical_devices()


def filter_notices(text: str, driver: bool | None = None) -> str:
    """``text`` without the start-up notice lines (see the module docstring); ``driver``: whether an
    NVIDIA driver is loaded (``None``: look), which keeps a failed cuInit.

    Example:
        >>> filter_notices("WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\\n"
        ...                "a real warning\\n")
        'a real warning\\n'
    """
    driver = has_nvidia_driver() if driver is None else driver

    def notice(line: str) -> bool:
        return bool(NOTICES.search(line) or (not driver and CUINIT.search(line)))

    return "".join(line for line in text.splitlines(keepends=True) if not notice(line.rstrip("\n")))


def _wanted() -> bool:
    """Filter only when asked for quiet, and only when TensorFlow has not been imported yet."""
    try:
        level = int(os.environ.get("TF_CPP_MIN_LOG_LEVEL", "0"))
    except ValueError:
        level = 0
    return level >= 1 and "tensorflow" not in sys.modules


@contextlib.contextmanager
def native_stderr_filtered() -> Iterator[None]:
    """Run the block with file descriptor 2 captured; write back what it printed, less the notices."""
    if not _wanted():
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no real descriptor 2 (an embedded interpreter): do nothing
        yield
        return
    with tempfile.TemporaryFile(mode="w+b") as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            with contextlib.suppress(Exception):
                sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            kept = filter_notices(capture.read().decode("utf-8", "replace"))
            if kept:
                os.write(2, kept.encode("utf-8"))
