"""Pick classes, draw labelled examples per class, split with stratification.
"""


from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

from keras_tl.core.validation import check_images, check_labels
from keras_tl.data._checks import Arrays

__all__ = ["relabel", "sample_per_class", "select_classes", "split_by_class", "stratified_split"]


# --------------------------------------------------------------------------- #
# Splitting helpers
# --------------------------------------------------------------------------- #
def _check_xy(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y = np.asarray(x), np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y must be a 1-D array of integer labels, got shape {y.shape}.")
    if len(x) != len(y):
        raise ValueError(f"x and y have different lengths: {len(x)} images and {len(y)} labels.")
    if np.issubdtype(x.dtype, np.number):
        check_images(x)
    elif len(x) == 0:
        raise ValueError("x is empty; allowed: at least 1 sample(s).")
    check_labels(y)
    return x, y


def _as_class_list(classes: Iterable[int], what: str = "classes") -> list[int]:
    out = [int(c) for c in classes]
    if not out:
        raise ValueError(f"{what} is empty; give at least one class label.")
    if len(set(out)) != len(out):
        raise ValueError(f"{what}={out} repeats a class; each class may appear once.")
    return out


def relabel(y: np.ndarray, classes: Sequence[int] | None = None) -> np.ndarray:
    """Re-index labels to ``0..len(classes)-1`` in the order of ``classes``.

    With ``classes=None`` the sorted unique labels of ``y`` are used.

    Example:
        >>> relabel(np.array([5, 7, 5, 9]))
        array([0, 1, 0, 2])
    """
    y = np.asarray(y)
    classes = sorted(np.unique(y).tolist()) if classes is None else _as_class_list(classes)
    lookup = {c: i for i, c in enumerate(classes)}
    missing = sorted(set(np.unique(y).tolist()) - set(lookup))
    if missing:
        raise ValueError(f"Labels {missing} are not in classes={classes}.")
    return np.array([lookup[int(v)] for v in y], dtype=np.int64)


def select_classes(x: np.ndarray, y: np.ndarray, classes: Iterable[int], reindex: bool = True) -> Arrays:
    """Keep only the examples of ``classes``; labels re-indexed from 0 in that order.

    Example:
        >>> x = np.zeros((6, 2, 2)); y = np.array([0, 5, 6, 5, 1, 6])
        >>> xs, ys = select_classes(x, y, [5, 6])
        >>> ys.tolist()
        [0, 1, 0, 1]
    """
    x, y = _check_xy(x, y)
    classes = _as_class_list(classes)
    present = set(np.unique(y).tolist())
    absent = [c for c in classes if c not in present]
    if absent:
        raise ValueError(f"Classes {absent} have no examples; labels present: {sorted(present)}.")
    mask = np.isin(y, classes)
    xs, ys = x[mask], y[mask]
    return xs, (relabel(ys, classes) if reindex else ys)


def split_by_class(
    x: np.ndarray,
    y: np.ndarray,
    source_classes: Iterable[int],
    target_classes: Iterable[int],
    disjoint: bool = True,
) -> tuple[Arrays, Arrays]:
    """Split one labelled set into a source task and a target task by class.

    Each part keeps its own classes with labels re-indexed from 0. With
    ``disjoint=True`` (the default) a class may not be in both.

    Example:
        >>> from keras_tl import fashion_mnist
        >>> (xtr, ytr), _ = fashion_mnist()
        >>> (xs, ys), (xt, yt) = split_by_class(xtr, ytr, range(5), range(5, 10))
        >>> len(xs), int(yt.max())
        (30000, 4)
    """
    source = _as_class_list(source_classes, "source_classes")
    target = _as_class_list(target_classes, "target_classes")
    overlap = sorted(set(source) & set(target))
    if disjoint and overlap:
        raise ValueError(
            f"source_classes and target_classes overlap on {overlap} but disjoint=True; "
            "give disjoint class lists or pass disjoint=False."
        )
    return select_classes(x, y, source), select_classes(x, y, target)


def sample_per_class(x: np.ndarray, y: np.ndarray, n: int, seed: int = 0) -> Arrays:
    """Draw ``n`` examples of every class present in ``y``, without replacement.

    The result is shuffled; the same ``seed`` gives the same sample.

    Example:
        >>> from keras_tl import digits
        >>> (x, y), _ = digits()
        >>> xs, ys = sample_per_class(x, y, n=5, seed=0)
        >>> np.bincount(ys).tolist()
        [5, 5, 5, 5, 5, 5, 5, 5, 5, 5]
    """
    x, y = _check_xy(x, y)
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n={n!r} is not allowed: give a whole number of examples per class >= 1.")
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(y, return_counts=True)
    if len(classes) == 0:
        raise ValueError("y is empty: there is nothing to sample from.")
    if n > counts.min():
        smallest = classes[counts.argmin()]
        raise ValueError(
            f"n={n} examples per class requested, but class {smallest} has only {counts.min()}; "
            f"allowed: 1..{counts.min()}."
        )
    idx = np.concatenate([rng.choice(np.flatnonzero(y == c), size=n, replace=False) for c in classes])
    rng.shuffle(idx)
    return x[idx], y[idx]


def stratified_split(x: np.ndarray, y: np.ndarray, val_fraction: float = 0.2, seed: int = 0) -> tuple[Arrays, Arrays]:
    """Split into ``(x_train, y_train), (x_val, y_val)`` keeping class proportions.

    Example:
        >>> from keras_tl import digits
        >>> (x, y), _ = digits()
        >>> (xa, ya), (xb, yb) = stratified_split(x, y, val_fraction=0.2)
        >>> round(len(xb) / len(x), 1)
        0.2
    """
    from sklearn.model_selection import train_test_split

    x, y = _check_xy(x, y)
    if not 0.0 < float(val_fraction) < 1.0:
        raise ValueError(f"val_fraction={val_fraction!r} is not allowed: give a fraction strictly between 0 and 1.")
    x_a, x_b, y_a, y_b = train_test_split(x, y, test_size=val_fraction, random_state=seed, stratify=y)
    return (x_a, y_a), (x_b, y_b)
