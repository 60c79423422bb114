"""Load a ``.keras`` file that holds keras_tl layers, in any process.

keras_tl's layers (``Preprocess``, ``GrayscaleToRGB``, ``SequencePooling``, ...) are registered
with Keras when ``keras_tl`` is imported. In a fresh Python process that has not imported it,
``keras.saving.load_model`` fails with ``TypeError: ... Could not locate class 'Preprocess'``
(checked on Keras 3.15). :func:`load_model` imports them first, then calls Keras.

Example:
    >>> import tempfile, keras
    >>> from keras_tl.datasets import GrayscaleToRGB
    >>> path = Path(tempfile.mkdtemp()) / "m.keras"
    >>> keras.Sequential([keras.Input((4, 4)), GrayscaleToRGB()]).save(path)
    >>> load_model(path).output_shape
    (None, 4, 4, 3)
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["load_model"]


def _register_text_layers() -> bool:
    """Import keras_tl.text (its layers register with Keras) if keras-hub is installed; whether it could."""
    import importlib.util

    if importlib.util.find_spec("keras_hub") is None:
        return False
    from . import text  # noqa: F401  (seconds to import: only when a file needs it)

    return True


def load_model(path: str | os.PathLike, safe_mode: bool = True, compile: bool = True):
    """``keras.saving.load_model(path)`` with keras_tl's layers registered first.

    Use it instead of ``keras.saving.load_model`` for models built with keras_tl (``reuse``,
    ``image_adapter``, ``Preprocess``...): it works in a fresh notebook or script that has not
    run ``import keras_tl`` first. (Plain Keras works too once ``import keras_tl`` has run.)
    ``safe_mode=True`` refuses files that carry Python code (Lambda layers). A missing file
    raises ``FileNotFoundError``; a class that is still unknown raises ``ValueError`` saying
    which package to import.

    Example:
        >>> load_model("/nonexistent/model.keras")
        Traceback (most recent call last):
        ...
        FileNotFoundError: No model file '/nonexistent/model.keras'; allowed: a .keras file saved with model.save(...).
    """
    import importlib.util

    import keras

    file = Path(path).expanduser()
    if not file.is_file():
        raise FileNotFoundError(f"No model file {str(file)!r}; allowed: a .keras file saved with model.save(...).")
    if file.suffix != ".keras":
        raise ValueError(
            f"{str(file)!r} is not a .keras file; allowed: a file saved with model.save('name.keras') "
            "(weights files, .weights.h5, load with model.load_weights or keras_tl.load_weights)."
        )
    import re

    from . import adaptation, backbones, datasets, ensembles, forgetting, schedules  # noqa: F401  (register layers)

    def unknown_class(exc: Exception) -> str | None:
        match = re.search(r"Could not locate (?:class|function) '([^']+)'", str(exc))
        return match.group(1) if match else None

    name = error = None
    for attempt in range(2):
        # the second try, for a text model (SequencePooling, HubEncoder...): with keras_tl.text loaded
        if attempt == 1 and not _register_text_layers():
            break
        try:
            return keras.saving.load_model(file, safe_mode=safe_mode, compile=compile)
        except (TypeError, ValueError) as exc:
            name = unknown_class(exc)
            if name is None:
                raise
            error = exc
    raise ValueError(
        f"{file.name} holds the custom class {name!r}, which is not registered with Keras: import the "
        "package that defines it (decorated with @keras.saving.register_keras_serializable) before loading"
        + ("" if importlib.util.find_spec("keras_hub") else "; keras_tl's text layers need keras-hub (pip install -e '.[text]')")
        + "."
    ) from error
