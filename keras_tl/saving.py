"""Load a ``.keras`` file that holds keras_tl layers, in any process.

keras_tl's layers (``Preprocess``, ``GrayscaleToRGB``, ``SequencePooling``, ...) are registered
with Keras when ``keras_tl`` is imported. In a fresh Python process that has not imported it,
``keras.saving.load_model`` fails with ``TypeError: ... Could not locate class 'Preprocess'``
(checked on Keras 3.15). :func:`load_model` imports them first, then calls Keras.

:func:`save_model` saves so that loading is quiet: Keras saves a compiled model's optimizer, and an
optimizer that never took a step (a model compiled for ``evaluate``, or a wrapper around a trained
model) is saved with 2 variables; loading compiles the model, builds the optimizer for every
trainable weight (160 for MobileNetV2 and a head) and warns ``Skipping variable loading for optimizer
'rm_sprop', because it has 160 variables whereas the saved optimizer has 2 variables`` (the CLI's
saved models did). :func:`save_model` builds the optimizer first, then writes the file atomically.

Example:
    >>> import tempfile, keras
    >>> from keras_tl import GrayscaleToRGB
    >>> path = Path(tempfile.mkdtemp()) / "m.keras"
    >>> keras.Sequential([keras.Input((4, 4)), GrayscaleToRGB()]).save(path)
    >>> load_model(path).output_shape
    (None, 4, 4, 3)
"""

from __future__ import annotations

import os
import re
from pathlib import Path

# Importing these modules registers their layers with Keras (load_model needs them registered).
from keras_tl.data import adapters  # noqa: F401
from keras_tl.models import backbones  # noqa: F401
from keras_tl.transfer import adaptation, ensembles, forgetting, schedules  # noqa: F401

__all__ = ["load_model", "save_model"]


def _register_text_layers() -> bool:
    """Import keras_tl.text (its layers register with Keras) if keras-hub is installed; whether it could."""
    import importlib.util

    if importlib.util.find_spec("keras_hub") is None:
        return False
    from keras_tl import text  # noqa: F401  (seconds to import: only when a file needs it)

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


def save_model(model, path: str | os.PathLike) -> Path:
    """``model.save(path)``, with the optimizer built first and the file written atomically; returns the path.

    A compiled model whose optimizer never took a step is saved with an empty optimizer state, and
    loading it warns that the optimizer's variables do not match (see the module's text). Building the
    optimizer for the model's trainable weights first saves a state that matches what loading builds,
    so :func:`load_model` (or ``keras.saving.load_model``) loads it without a warning. The file is
    written to a temporary name beside ``path`` and renamed, so no half-written model is left behind.

    Example:
        >>> import tempfile, keras
        >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        >>> model.compile(loss="mse")
        >>> path = save_model(model, Path(tempfile.mkdtemp()) / "m.keras")
        >>> path.name, model.optimizer.built
        ('m.keras', True)
    """
    import keras

    if not isinstance(model, keras.Model):
        raise ValueError(f"model of type {type(model).__name__} is not allowed: give a keras.Model.")
    file = Path(path).expanduser()
    if file.suffix != ".keras":
        raise ValueError(f"{str(file)!r} is not allowed: give a path ending in .keras (model.save's format).")
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and getattr(model, "compiled", False) and not optimizer.built:
        optimizer.build(model.trainable_variables)
    file.parent.mkdir(parents=True, exist_ok=True)
    partial = file.with_name(f".{file.stem}.{os.getpid()}.partial.keras")
    try:
        model.save(partial)
        os.replace(partial, file)
    finally:
        if partial.exists():
            partial.unlink()
    return file
