"""Datasets as inputs: a ``tf.data.Dataset`` or ``keras.utils.PyDataset`` of batches wherever arrays are taken.

Every public entry point that takes ``(x, y)`` or images also takes a
``tf.data.Dataset`` (e.g. from ``keras.utils.image_dataset_from_directory``) or
a ``keras.utils.PyDataset`` yielding ``(x, y)`` batches (or ``x`` batches where
no labels are needed). Where the function only calls ``model.fit`` the dataset
is passed through to Keras; where it needs arrays (features, accuracies,
similarity, sample counts), :func:`as_arrays` reads the dataset once into numpy,
counting samples, not batches.

TensorFlow is imported only when a ``tf.data.Dataset`` is given, so the code
stays backend-neutral (Keras fits tf.data datasets on JAX too).

Example:
    >>> import numpy as np, tensorflow as tf
    >>> ds = tf.data.Dataset.from_tensor_slices((np.zeros((10, 4, 4)), np.arange(10) % 3)).batch(4)
    >>> x, y = as_arrays(ds)
    >>> x.shape, y.tolist()
    ((10, 4, 4), [0, 1, 2, 0, 1, 2, 0, 1, 2, 0])
"""

from __future__ import annotations

from typing import Any, Iterator

import numpy as np

from keras_tl.core.validation import check_labels

__all__ = ["as_arrays", "check_finite", "dataset_xy", "is_dataset", "is_py_dataset", "is_tf_dataset", "label_counts"]

_INFINITE, _UNKNOWN = -1, -2  # tf.data.INFINITE_CARDINALITY, tf.data.UNKNOWN_CARDINALITY


def is_tf_dataset(data: Any) -> bool:
    """Whether ``data`` is a ``tf.data.Dataset`` (checked by class name: TensorFlow is not imported).

    Example:
        >>> import numpy as np
        >>> is_tf_dataset(np.zeros(3)), is_tf_dataset([1, 2])
        (False, False)
    """
    return any(
        cls.__name__ in ("DatasetV2", "DatasetV1") and "tensorflow" in (cls.__module__ or "")
        for cls in type(data).__mro__
    )


def is_py_dataset(data: Any) -> bool:
    """Whether ``data`` is a ``keras.utils.PyDataset``.

    Example:
        >>> is_py_dataset([1, 2])
        False
    """
    import keras

    return isinstance(data, keras.utils.PyDataset)


def is_dataset(data: Any) -> bool:
    """Whether ``data`` is a ``tf.data.Dataset`` or a ``keras.utils.PyDataset`` (batches, not arrays).

    Example:
        >>> import numpy as np, tensorflow as tf
        >>> is_dataset(tf.data.Dataset.range(3)), is_dataset(np.zeros((3, 2)))
        (True, False)
    """
    return is_tf_dataset(data) or is_py_dataset(data)


def _n_batches(data: Any) -> int | None:
    """Number of batches, ``None`` when infinite; ``-2`` when unknown (a filtered tf.data.Dataset)."""
    if is_tf_dataset(data):
        n = int(data.cardinality())
        return None if n == _INFINITE else n
    n = data.num_batches
    return None if n is None else int(n)


def check_finite(data: Any, name: str = "x", how: str = "") -> Any:
    """Raise ``ValueError`` for an infinite dataset (``repeat()`` without a count); return ``data`` unchanged.

    ``how`` adds what else is allowed (e.g. ``"max_samples=..."``).

    Example:
        >>> import tensorflow as tf
        >>> check_finite(tf.data.Dataset.range(3).repeat(), "train")
        Traceback (most recent call last):
        ...
        ValueError: train is an infinite dataset (repeat() without a count); allowed: a finite tf.data.Dataset or PyDataset of batches (drop .repeat(), or .take(n_batches) of it).
    """
    if is_dataset(data) and _n_batches(data) is None:
        extra = f", or {how}" if how else ""
        raise ValueError(
            f"{name} is an infinite dataset (repeat() without a count); allowed: a finite tf.data.Dataset or "
            f"PyDataset of batches (drop .repeat(), or .take(n_batches) of it){extra}."
        )
    return data


def _split(element: Any, name: str) -> tuple[Any, Any]:
    if isinstance(element, dict):
        raise ValueError(f"{name} yields dicts; allowed: (x, y) or x batches of a single input.")
    if isinstance(element, (tuple, list)):
        if len(element) not in (1, 2, 3):
            raise ValueError(f"{name} yields tuples of {len(element)}; allowed: (x, y), (x, y, sample_weight) or x.")
        x = element[0]
        y = element[1] if len(element) > 1 else None
    else:
        x, y = element, None
    if isinstance(x, (tuple, list, dict)):
        raise ValueError(f"{name} yields several inputs per batch; allowed: batches of a single input x.")
    return x, y


def _batches(data: Any, name: str, max_samples: int | None = None) -> Iterator[tuple[np.ndarray, np.ndarray | None]]:
    """Yield ``(x, y)`` numpy batches of ``data`` (``y`` None without labels), at most ``max_samples`` samples."""
    if max_samples is None:
        check_finite(data, name, "pass max_samples=... to read that many samples")
    if is_tf_dataset(data):
        elements = iter(data)
    else:
        n = _n_batches(data)
        elements = (data[i] for i in (range(n) if n is not None else _count()))
    seen, labelled = 0, None
    for element in elements:
        xb, yb = _split(element, name)
        xb = np.asarray(xb)
        yb = None if yb is None else np.asarray(yb)
        if yb is not None and yb.ndim == 0:  # an unbatched dataset: one sample per element
            xb, yb = xb[None], yb[None]
        if labelled is None:
            labelled = yb is not None
        elif labelled != (yb is not None):
            raise ValueError(f"{name} yields batches with and without labels; allowed: all (x, y) or all x.")
        if max_samples is not None and seen + len(xb) > max_samples:
            keep = max_samples - seen
            xb, yb = xb[:keep], None if yb is None else yb[:keep]
        seen += len(xb)
        if len(xb):
            yield xb, yb
        if max_samples is not None and seen >= max_samples:
            return


def _count() -> Iterator[int]:
    i = 0
    while True:
        yield i
        i += 1


def as_arrays(
    data: Any, max_samples: int | None = None, name: str = "data", need_labels: bool = False
) -> tuple[np.ndarray, np.ndarray | None]:
    """Numpy ``(x, y)`` from a ``tf.data.Dataset`` or ``keras.utils.PyDataset`` of batches, or an ``(x, y)`` pair.

    Batches are concatenated, so the result counts samples, not batches. A
    dataset of ``x`` batches alone (or a bare array) gives ``y = None``; with
    ``need_labels=True`` that raises ``ValueError``. ``max_samples`` keeps the
    first that many samples (of a shuffled dataset: a random sample) and is
    required for an infinite (``repeat()``-ed) dataset, which otherwise raises
    ``ValueError``. Sample weights (a third element) are dropped.

    Example:
        >>> import numpy as np, tensorflow as tf
        >>> ds = tf.data.Dataset.from_tensor_slices((np.ones((6, 2)), [0, 1, 0, 1, 0, 1])).batch(4)
        >>> x, y = as_arrays(ds.repeat(), max_samples=8)
        >>> x.shape, y.tolist()
        ((8, 2), [0, 1, 0, 1, 0, 1, 0, 1])
        >>> as_arrays(ds.map(lambda x, y: x), need_labels=True)
        Traceback (most recent call last):
        ...
        ValueError: data yields x batches without labels; allowed: a dataset of (x, y) batches here (e.g. image_dataset_from_directory(..., labels='inferred')).
    """
    if max_samples is not None and (
        isinstance(max_samples, bool) or not isinstance(max_samples, (int, np.integer)) or max_samples < 1
    ):
        raise ValueError(f"max_samples={max_samples!r} is not allowed: give an int >= 1, or None for all samples.")
    if is_dataset(data):
        xs, ys = [], []
        for xb, yb in _batches(data, name, max_samples):
            xs.append(xb)
            if yb is not None:
                ys.append(yb)
        if not xs:
            raise ValueError(f"{name} yields no samples; allowed: a dataset of at least one non-empty batch.")
        x, y = np.concatenate(xs), (np.concatenate(ys) if ys else None)
    elif isinstance(data, (tuple, list)) and len(data) == 2 and not np.isscalar(data[0]):
        x, y = np.asarray(data[0]), None if data[1] is None else np.asarray(data[1])
    else:
        x, y = np.asarray(data), None
    if need_labels and y is None:
        raise ValueError(
            f"{name} yields x batches without labels; allowed: a dataset of (x, y) batches here "
            "(e.g. image_dataset_from_directory(..., labels='inferred'))."
        )
    if max_samples is not None and not is_dataset(data):
        x, y = x[:max_samples], None if y is None else y[:max_samples]
    return x, y


def label_counts(data: Any, name: str = "data") -> dict[int, int]:
    """Samples per class of a dataset of ``(x, y)`` batches (or an ``(x, y)`` pair), read once; integer labels.

    Example:
        >>> import numpy as np, tensorflow as tf
        >>> ds = tf.data.Dataset.from_tensor_slices((np.zeros((5, 2)), [0, 1, 1, 2, 1])).batch(2)
        >>> label_counts(ds)
        {0: 1, 1: 3, 2: 1}
    """
    if is_dataset(data):
        labels = [yb for _, yb in _batches(data, name)]
        if not labels or any(yb is None for yb in labels):
            as_arrays(data, name=name, need_labels=True)  # raises the error for no samples or no labels
        y = np.concatenate(labels)
    else:
        y = as_arrays(data, name=name, need_labels=True)[1]

    y = check_labels(y, f"{name} labels")
    values, counts = np.unique(y, return_counts=True)
    return {int(v): int(c) for v, c in zip(values, counts)}


def dataset_xy(x: Any, y: Any, name: str = "x", need_labels: bool = True, max_samples: int | None = None) -> tuple:
    """``(x, y)`` as given, or read from ``x`` when it is a dataset (then ``y`` must be ``None``).

    Example:
        >>> import numpy as np, tensorflow as tf
        >>> ds = tf.data.Dataset.from_tensor_slices((np.zeros((3, 2)), [0, 1, 0])).batch(2)
        >>> [a.shape for a in dataset_xy(ds, None)]
        [(3, 2), (3,)]
        >>> dataset_xy(ds, [0, 1, 0])
        Traceback (most recent call last):
        ...
        ValueError: y is given, but x is a dataset (_BatchDataset) that yields its own labels; allowed: y=None with a dataset of (x, y) batches.
    """
    if not is_dataset(x):
        return x, y
    if y is not None:
        raise ValueError(
            f"y is given, but {name} is a dataset ({type(x).__name__}) that yields its own labels; "
            "allowed: y=None with a dataset of (x, y) batches."
        )
    return as_arrays(x, max_samples=max_samples, name=name, need_labels=need_labels)
