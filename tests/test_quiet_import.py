"""``import keras_tl`` is quiet: no TensorFlow start-up lines, on any host.

``import keras_tl`` sets ``TF_CPP_MIN_LOG_LEVEL=2`` before TensorFlow loads (TensorFlow's own C++ log lines
go), and filters the few lines that absl writes before its logging starts, which ignore that variable
(``oneDNN custom operations are on`` on CPUs with AVX-512, ``Could not find cuda drivers`` on hosts with
CUDA libraries: ``keras_tl/_quiet.py``). Whether a host prints those lines at all depends on its CPU and
libraries; the filter is checked directly below, by writing them to descriptor 2 ourselves.
"""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

import keras_tl

QUIET = Path(keras_tl.__file__).resolve().parent / "_quiet.py"
NOTICES = (
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
    "I0000 00:00:1796567898.125450    2364 port.cc:153] oneDNN custom operations are on. You may see slightly "
    "different numerical results due to floating-point round-off errors from different computation orders.\n"
    "I0000 00:00:1796567898.125773    2364 cudart_stub.cc:31] Could not find cuda drivers on your machine, GPU "
    "will not be used.\n"
)
# Loads keras_tl/_quiet.py alone (no TensorFlow), writes the notices and a real warning to descriptor 2
# inside the filter, as TensorFlow's C++ code would.
WRITE = f"""
import importlib.util, os
spec = importlib.util.spec_from_file_location("quiet", {str(QUIET)!r})
quiet = importlib.util.module_from_spec(spec); spec.loader.exec_module(quiet)
with quiet.native_stderr_filtered():
    os.write(2, {NOTICES.encode()!r} + b"E0000 something real went wrong\\n")
print("done")
"""


def _run(code, level, tmp_path, timeout=60):
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    if level is not None:
        env["TF_CPP_MIN_LOG_LEVEL"] = level
    env.update(KERAS_BACKEND="tensorflow", PYTHONPATH=str(QUIET.parent.parent))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path,
                          timeout=timeout)


@pytest.mark.backend_free  # a subprocess that writes bytes to descriptor 2: no backend code
def test_the_filter_drops_the_notices_and_keeps_real_lines(tmp_path):
    run = _run(WRITE, "2", tmp_path)
    assert run.stdout == "done\n", run.stderr
    assert run.stderr == "E0000 something real went wrong\n"


@pytest.mark.backend_free
def test_the_filter_keeps_everything_when_asked_for_every_log_line(tmp_path):
    run = _run(WRITE, "0", tmp_path)
    assert run.stderr == NOTICES + "E0000 something real went wrong\n"


@pytest.mark.backend_free  # string filtering
def test_a_failed_cuinit_is_dropped_only_without_a_gpu_driver():
    from keras_tl._quiet import filter_notices

    line = ("E0000 00:00:1796572362.358964   11498 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA error: "
            "Failed call to cuInit: UNKNOWN ERROR (303)\n")
    assert filter_notices(line + "kept\n", driver=False) == "kept\n"
    assert filter_notices(line + "kept\n", driver=True) == line + "kept\n"


@pytest.mark.tf_only
@pytest.mark.slow  # a fresh interpreter importing TensorFlow: `make test` runs it, `make check` does not
def test_import_keras_tl_is_quiet(tmp_path):
    # import, then a first TensorFlow operation (where TensorFlow looks for a GPU)
    code = ("import os, keras_tl, tensorflow as tf; print(int(tf.constant(1) + 1)); "
            "print('LEVEL', os.environ['TF_CPP_MIN_LOG_LEVEL'])")
    run = _run(code, None, tmp_path, timeout=120)
    assert "LEVEL 2" in run.stdout, run.stderr[-2000:]
    noisy = ["cpu_feature_guard", "oneDNN custom operations", "absl::InitializeLog", "cudart_stub"]
    if not os.path.exists("/proc/driver/nvidia"):
        noisy.append("failed call to cuInit")
    for line in noisy:
        assert line not in run.stderr, run.stderr
