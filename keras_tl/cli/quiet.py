"""Import Keras for the command line with TensorFlow's start-up lines held back."""

from __future__ import annotations

import os
import sys
import tempfile

_NOISE = ("All log messages before absl::InitializeLog()", "cudart_stub.cc", "cuda_platform.cc", "cuInit",
          "cuda_executor.cc", "cpu_feature_guard.cc", "oneDNN custom operations", "computation_placer.cc",
          "This TensorFlow binary is optimized", "To enable the following instructions")


def _quiet_import() -> None:
    """Import Keras (and TensorFlow, initialised) with stderr held back; print it again without TF's start-up lines.

    TensorFlow writes some lines (``cudart_stub.cc ... Could not find cuda drivers``) from C++ before
    ``TF_CPP_MIN_LOG_LEVEL`` is read: only lines matching those known start-up messages are dropped.
    """
    if "keras" in sys.modules:
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as held:
        os.dup2(held.fileno(), 2)
        try:
            import keras

            if keras.backend.backend() == "tensorflow":
                import tensorflow as tf

                tf.config.list_physical_devices()  # CUDA's probe logs here, once
                tf.get_logger().setLevel("ERROR")  # no "triggered tf.function retracing" between small fits
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            text = held.read().decode(errors="replace")
    kept = [line for line in text.splitlines() if line.strip() and not any(n in line for n in _NOISE)]
    if kept:
        print("\n".join(kept), file=sys.stderr)
