"""A small source model for the develop-model approach.

The develop-model approach starts by training your own model on a source task
with plenty of data. :func:`build_source_cnn` is a compact CNN for 28x28
grayscale images whose layers are named by block (``block1_*``,
``block2_*``, ``flatten``, ``fc``, ``predictions``), so that freezing "the
first k blocks" reads naturally. Its feature layer is ``flatten``: the
convolutional features, which are general, rather than the dense ``fc``
layer, which is specific to the source classes (measured in
``notebooks/00_tour.ipynb``). :func:`pretrain_source_model` trains it on the
Fashion-MNIST source classes 0-4 in well under a minute on two CPU cores and
caches the result, keyed by its settings and data, so notebooks and tests do
not retrain it every time.

Example:
    >>> from keras_tl.models import source_model
    >>> model = source_model.build_source_cnn(n_classes=5)
    >>> [layer.name for layer in model.layers][:4]
    ['image', 'add_channel', 'rescale', 'block1_conv']
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import warnings
from pathlib import Path

import keras
import numpy as np

from keras_tl.core.cache import cache_dir
from keras_tl.core.checkpoints import atomic_write, fit_resumable
from keras_tl.core.training import _check_speed_options, _dtype_policy
from keras_tl.core.validation import check_xy
from keras_tl.data.tasks import TransferTask, transfer_task

__all__ = [
    "FEATURE_LAYER",
    "SOURCE_BLOCKS",
    "build_source_cnn",
    "cache_dir",
    "majority_baseline",
    "pretrain_source_model",
]

#: Architecture version: bump it when build_source_cnn changes, so old caches are not reused.
_ARCH_VERSION = 2

#: The layer whose output feature extraction reuses: the flattened conv features.
FEATURE_LAYER = "flatten"

#: The layers of each block of :func:`build_source_cnn`, bottom to top.
SOURCE_BLOCKS = {
    "block1": ("block1_conv", "block1_bn", "block1_relu", "block1_pool"),
    "block2": ("block2_conv", "block2_bn", "block2_relu", "block2_pool"),
    "top": ("flatten", "fc"),
    "head": ("dropout", "predictions"),
}


def build_source_cnn(
    input_shape: tuple[int, ...] = (28, 28),
    n_classes: int = 5,
    filters: tuple[int, int] = (32, 64),
    units: int = 128,
    dropout: float = 0.3,
    name: str = "source_cnn",
    seed: int | None = None,
) -> keras.Model:
    """Build the compact source CNN (two conv blocks, a dense feature layer, a softmax head).

    Inputs are raw pixel values 0..255, ``(h, w)`` or ``(h, w, 1)``; the model
    rescales them itself. ``flatten`` (:data:`FEATURE_LAYER`) is what feature
    extraction reuses; ``fc`` is a ``units``-wide dense layer; ``predictions``
    is the head to replace. BatchNormalization uses momentum 0.9 (Keras's
    default is 0.99) so that its moving statistics keep up when a copy with
    random weights is trained for only a few hundred steps on a small target.
    ``seed`` (optional) seeds the initial weights (``keras.utils.set_random_seed``).

    Example:
        >>> model = build_source_cnn(n_classes=5)
        >>> model.output_shape, model.get_layer("flatten").output.shape
        ((None, 5), (None, 3136))
    """
    if not isinstance(n_classes, int) or n_classes < 2:
        raise ValueError(f"n_classes={n_classes!r} is not allowed: a classifier needs at least 2 classes.")
    if len(input_shape) not in (2, 3) or (len(input_shape) == 3 and input_shape[-1] != 1):
        raise ValueError(f"input_shape={input_shape!r} is not allowed: give (h, w) or (h, w, 1) grayscale.")
    h, w = input_shape[:2]
    if seed is not None:
        keras.utils.set_random_seed(seed)
    inputs = keras.Input(shape=tuple(input_shape), name="image")
    x = keras.layers.Reshape((h, w, 1), name="add_channel")(inputs)
    x = keras.layers.Rescaling(1.0 / 255, name="rescale")(x)
    for i, f in enumerate(filters, start=1):
        x = keras.layers.Conv2D(f, 3, padding="same", use_bias=False, name=f"block{i}_conv")(x)
        x = keras.layers.BatchNormalization(momentum=0.9, name=f"block{i}_bn")(x)
        x = keras.layers.Activation("relu", name=f"block{i}_relu")(x)
        x = keras.layers.MaxPooling2D(2, name=f"block{i}_pool")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dense(units, activation="relu", name="fc")(x)
    x = keras.layers.Dropout(dropout, name="dropout")(x)
    outputs = keras.layers.Dense(n_classes, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name=name)


def majority_baseline(y_train: np.ndarray, y_eval: np.ndarray) -> float:
    """Accuracy on ``y_eval`` of always predicting the most frequent class of ``y_train``.

    The naive baseline a source model must clearly beat.

    Example:
        >>> majority_baseline(np.array([0, 0, 1]), np.array([0, 1, 1, 1]))
        0.25
    """
    y_train, y_eval = np.asarray(y_train), np.asarray(y_eval)
    if len(y_train) == 0 or len(y_eval) == 0:
        raise ValueError("majority_baseline needs non-empty y_train and y_eval.")
    majority = np.bincount(y_train.astype(np.int64)).argmax()
    return float(np.mean(y_eval == majority))


def _cache_key(settings: dict, x: np.ndarray, y: np.ndarray) -> str:
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode())
    digest.update(np.ascontiguousarray(x).tobytes())
    digest.update(np.ascontiguousarray(y).tobytes())
    return digest.hexdigest()[:16]


def _atomic_write_bytes(path: Path, write) -> None:
    """Write ``path`` through a temporary file in the same folder, then rename it into place."""
    atomic_write(path, write)


def pretrain_source_model(
    task: TransferTask | None = None,
    epochs: int = 3,
    batch_size: int = 128,
    learning_rate: float = 1e-3,
    seed: int = 0,
    cache: bool = True,
    verbose: int | str = "auto",
    jit_compile: bool | str = "auto",
    mixed_precision: str | None = None,
    checkpoint_dir: str | os.PathLike | None = None,
) -> keras.Model:
    """Train :func:`build_source_cnn` on the source task (cached), and check it beats the naive baseline.

    Args:
        task: a :class:`~keras_tl.TransferTask`; default
            ``transfer_task()`` (Fashion-MNIST classes 0-4 as the source).
        epochs, batch_size, learning_rate, seed: training settings; they and
            the source data form the cache key.
        cache: reuse a model cached under :func:`cache_dir` with the same
            key, and save a newly trained one there (written atomically).
        verbose: passed to ``model.fit``; 0 also silences the summary line.
        jit_compile: passed to ``model.compile`` (XLA; ``"auto"`` is Keras's default).
        mixed_precision: ``None``, ``"mixed_float16"`` (GPUs) or
            ``"mixed_bfloat16"`` (TPUs): the Keras dtype policy the model is
            built under (the global policy is restored afterwards). A mixed
            policy is part of the cache key.
        checkpoint_dir: a folder for :func:`keras_tl.fit_resumable`: training saves a backup
            after every epoch there, and a call interrupted between epochs resumes from the
            last completed one. Each epoch is then reseeded from ``(seed, epoch)``, so the
            result (cached under its own key) equals an uninterrupted run with a checkpoint
            folder, not one without.

    Returns:
        The trained, compiled ``keras.Model``. A summary line reports its
        source test accuracy against the majority-class baseline; a
        ``UserWarning`` is raised if it does not beat the baseline by 10 points.

    Example:
        >>> model = pretrain_source_model(epochs=3)  # doctest: +SKIP
        Source model: test accuracy 0.9... vs majority baseline 0.200 (...)
    """
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs={epochs!r} is not allowed: give an int >= 1.")
    if learning_rate <= 0:
        raise ValueError(f"learning_rate={learning_rate!r} is not allowed: give a positive number.")

    _check_speed_options(jit_compile, mixed_precision)
    task = task if task is not None else transfer_task()
    x, y = check_xy(*task.source, names=("task.source[0]", "task.source[1]"))
    x_test, y_test = check_xy(*task.source_test, names=("task.source_test[0]", "task.source_test[1]"))
    n_classes = int(max(y.max(), y_test.max())) + 1
    settings = dict(
        arch=_ARCH_VERSION, input_shape=list(x.shape[1:]), n_classes=n_classes, epochs=epochs,
        batch_size=batch_size, learning_rate=learning_rate, seed=seed, keras=keras.__version__.split(".")[0],
    )
    if mixed_precision is not None:  # only then, so float32 models keep their existing cache keys
        settings["mixed_precision"] = mixed_precision
    if checkpoint_dir is not None:
        settings["epoch_seeds"] = True  # fit_resumable reseeds every epoch: a different (still seeded) run
    key = _cache_key(settings, x, y)
    path = cache_dir() / f"source_cnn-{key}.keras"
    meta_path = path.with_suffix(".json")
    quiet = verbose == 0

    if cache and path.is_file():
        model = _load_cached(path, meta_path, quiet)
        if model is not None:
            return model

    keras.utils.set_random_seed(seed)
    with _dtype_policy(mixed_precision):
        model = build_source_cnn(input_shape=x.shape[1:], n_classes=n_classes)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        jit_compile=jit_compile,
    )
    start = time.perf_counter()
    if checkpoint_dir is None:
        model.fit(x, y, epochs=epochs, batch_size=batch_size, verbose=verbose)
    else:
        fit_resumable(model, x, y, checkpoint_dir=checkpoint_dir, seed=seed, epochs=epochs, batch_size=batch_size, verbose=verbose)
    seconds = time.perf_counter() - start
    meta = _scored(model, settings, y, x_test, y_test, seconds)
    if cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write_bytes(path, model.save)
        _atomic_write_bytes(meta_path, lambda tmp: Path(tmp).write_text(json.dumps(meta, indent=1)))
    if not quiet:
        print(f"Source model trained in {seconds:.1f} s: " + _report(meta))
    return model


def _load_cached(path: Path, meta_path: Path, quiet: bool):
    """The cached source model, or ``None`` when the file cannot be loaded (then it is removed, with a warning)."""
    try:
        model = keras.saving.load_model(path)
    except Exception as exc:  # a corrupt or truncated cache file: say so, drop it and retrain
        warnings.warn(
            f"The cached source model {path} cannot be loaded ({type(exc).__name__}: {str(exc)[:200]}); "
            "it is removed and the model is trained again.",
            UserWarning,
            stacklevel=3,
        )
        path.unlink(missing_ok=True)
        meta_path.unlink(missing_ok=True)
        return None
    meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
    if not quiet:
        print(f"Source model loaded from cache {path} " + _report(meta))
    return model


def _scored(model, settings: dict, y, x_test, y_test, seconds: float) -> dict:
    """The settings with the test accuracy and the majority baseline; warns when the model barely beats it."""
    _, accuracy = model.evaluate(x_test, y_test, batch_size=512, verbose=0)
    meta = dict(
        settings,
        test_accuracy=float(accuracy),
        baseline_accuracy=majority_baseline(y, y_test),
        train_seconds=round(seconds, 1),
    )
    if meta["test_accuracy"] < meta["baseline_accuracy"] + 0.10:
        warnings.warn(
            f"The source model does not clearly beat the naive baseline: {_report(meta)}. "
            "Train longer or check the source data before reusing it.",
            UserWarning,
            stacklevel=3,
        )
    return meta


def _report(meta: dict) -> str:
    if "test_accuracy" not in meta:
        return ""
    return (
        f"(source test accuracy {meta['test_accuracy']:.3f} vs majority baseline "
        f"{meta['baseline_accuracy']:.3f})"
    )
