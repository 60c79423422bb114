"""Speed options shared by the training helpers: XLA (``jit_compile``) and mixed precision.
"""

from __future__ import annotations

import contextlib

import keras

#: The values the training helpers accept for ``mixed_precision``.
MIXED_PRECISION_POLICIES = (None, "mixed_float16", "mixed_bfloat16")


def _check_speed_options(jit_compile, mixed_precision) -> None:
    if not (isinstance(jit_compile, bool) or jit_compile == "auto"):
        raise ValueError(f"jit_compile={jit_compile!r} is not allowed: give True, False or 'auto' (Keras's default).")
    if mixed_precision not in MIXED_PRECISION_POLICIES:
        raise ValueError(
            f"mixed_precision={mixed_precision!r} is not allowed: give one of {MIXED_PRECISION_POLICIES} "
            "('mixed_float16' on GPUs, 'mixed_bfloat16' on TPUs and recent CPUs)."
        )


@contextlib.contextmanager
def _dtype_policy(mixed_precision: str | None):
    """Build layers under Keras's ``mixed_precision`` policy, then restore the previous global policy."""
    if mixed_precision is None:
        yield
        return
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(mixed_precision)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)
