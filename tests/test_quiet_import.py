"""``import keras_tl`` sets ``TF_CPP_MIN_LOG_LEVEL=2`` before TensorFlow loads: no C++ info/warning lines.

TensorFlow's own start-up lines (``cpu_feature_guard``, ``oneDNN custom operations``) go; the absl lines
written before absl's logging starts (``cudart_stub.cc ... Could not find cuda drivers`` on machines
without CUDA) do not obey the variable on TF 2.21 and may remain.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import keras_tl


@pytest.mark.tf_only
@pytest.mark.slow  # a fresh interpreter importing TensorFlow: `make test` runs it, `make check` does not
def test_import_keras_tl_is_quiet(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    env.update(KERAS_BACKEND="tensorflow", PYTHONPATH=str(Path(keras_tl.__file__).resolve().parent.parent))
    code = "import os, keras_tl, tensorflow; print('LEVEL', os.environ['TF_CPP_MIN_LOG_LEVEL'])"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert "LEVEL 2" in run.stdout, run.stderr[-2000:]
    for noisy in ("cpu_feature_guard", "oneDNN custom operations"):
        assert noisy not in run.stderr, run.stderr
