"""Input checks shared by the public entry points: images, labels, and the two together.

Each check raises a ``ValueError`` that names what was wrong (the argument, the
bad value or shape) and what is allowed, before any model is built or trained.
Inputs that are not arrays (a ``tf.data.Dataset``, a ``keras.utils.PyDataset``,
a generator) pass through unchecked: Keras validates those batch by batch.
``docs/errors.md`` lists the error every public function gives on bad input.

Example:
    >>> import numpy as np
    >>> x, y = check_xy(np.zeros((4, 28, 28), "uint8"), [0, 1, 2, 1], n_classes=3)
    >>> x.shape, y.tolist()
    ((4, 28, 28), [0, 1, 2, 1])
    >>> check_labels([0, 5], n_classes=3)
    Traceback (most recent call last):
    ...
    ValueError: y holds label 5 at index 1, outside the allowed range 0..2 (n_classes=3).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["check_fit", "check_images", "check_labels", "check_model_input", "check_pixel_scale", "check_xy", "is_array_like"]


def is_array_like(x: Any) -> bool:
    """Whether ``x`` is an array (numpy, a tensor, a list) rather than a dataset or a generator.

    Example:
        >>> is_array_like([[1, 2]]), is_array_like(iter([]))
        (True, False)
    """
    if isinstance(x, (np.ndarray, list, tuple)):
        return True
    return hasattr(x, "shape") and hasattr(x, "dtype") and hasattr(x, "__len__")


def check_images(x: Any, name: str = "x", min_samples: int = 1, shape: tuple | None = None) -> Any:
    """Check a batch of images (or any numeric samples): numeric dtype, non-empty, finite; return it as an array.

    ``shape`` (per sample, ``None`` for any size on that axis) is what the
    model takes, e.g. ``model.input_shape[1:]``; ``(h, w)`` and ``(h, w, 1)``
    are accepted for each other, as Keras reshapes them. Non-array inputs are
    returned unchanged.

    Example:
        >>> check_images(np.full((2, 4, 4), np.nan))
        Traceback (most recent call last):
        ...
        ValueError: x contains NaN or infinite values (32 of 32 entries, first at sample 0); allowed: finite numbers only.
    """
    if not is_array_like(x):
        return x
    a = np.asarray(x)
    if a.dtype == object or not (np.issubdtype(a.dtype, np.number) or a.dtype == np.bool_):
        raise ValueError(f"{name} has dtype {a.dtype}; allowed: a numeric array (uint8 pixels 0..255 or floats).")
    if np.iscomplexobj(a):
        raise ValueError(f"{name} has complex dtype {a.dtype}; allowed: real numbers (uint8 or float).")
    if a.ndim == 0:
        raise ValueError(f"{name} is a scalar; allowed: a batch of samples, shape (n, ...).")
    if len(a) < min_samples:
        kind = "is empty" if len(a) == 0 else f"has {len(a)} samples"
        raise ValueError(f"{name} {kind}; allowed: at least {min_samples} sample(s).")
    if np.issubdtype(a.dtype, np.floating):
        bad = ~np.isfinite(a)
        if bad.any():
            first = int(np.argwhere(bad)[0][0])
            raise ValueError(
                f"{name} contains NaN or infinite values ({int(bad.sum())} of {a.size} entries, first at sample {first}); "
                "allowed: finite numbers only."
            )
    if shape is not None and not _shape_fits(a.shape[1:], tuple(shape)):
        raise ValueError(
            f"{name} has samples of shape {a.shape[1:]}, but the model takes {tuple(shape)} "
            "(None: any size); resize or reshape the inputs (keras_tl.image_adapter) to match."
        )
    return a


def _shape_fits(got: tuple, want: tuple) -> bool:
    def squeeze(s):  # (h, w, 1) and (h, w) are interchangeable for grayscale models
        return s[:-1] if len(s) == 3 and s[-1] == 1 else s

    if len(got) != len(want):
        got, want = squeeze(got), squeeze(want)
    return len(got) == len(want) and all(w is None or g == w for g, w in zip(got, want))


def check_labels(y: Any, name: str = "y", n: int | None = None, n_classes: int | None = None) -> np.ndarray:
    """Check integer class labels: 1-D, whole numbers ``>= 0`` (and ``< n_classes``), ``n`` of them; return int64.

    Example:
        >>> check_labels([0.0, 1.0, 2.0]).dtype
        dtype('int64')
        >>> check_labels([0, 1], n=3)
        Traceback (most recent call last):
        ...
        ValueError: y has 2 labels but there are 3 samples; allowed: one label per sample.
    """
    a = np.asarray(y)
    if a.ndim != 1:
        hint = " (one-hot? pass y.argmax(1))" if a.ndim == 2 else ""
        raise ValueError(f"{name} must be a 1-D array of integer class labels, got shape {a.shape}{hint}.")
    if n is not None and len(a) != n:
        raise ValueError(f"{name} has {len(a)} labels but there are {n} samples; allowed: one label per sample.")
    if len(a) == 0:
        raise ValueError(f"{name} is empty; allowed: at least one label.")
    if a.dtype == object or not (np.issubdtype(a.dtype, np.number) or a.dtype == np.bool_):
        raise ValueError(f"{name} has dtype {a.dtype}; allowed: integer class labels 0..k-1.")
    if np.issubdtype(a.dtype, np.floating):
        if not np.isfinite(a).all():
            raise ValueError(f"{name} contains NaN or infinite labels; allowed: integer class labels 0..k-1.")
        if not np.all(a == np.round(a)):
            bad = a[a != np.round(a)][0].item()
            raise ValueError(f"{name} holds the non-integer label {bad!r}; allowed: whole class indices 0..k-1.")
    a = a.astype(np.int64)
    low = int(a.min())
    if low < 0:
        raise ValueError(f"{name} holds label {low} at index {int(a.argmin())}; allowed: class indices >= 0.")
    if n_classes is not None:
        high = int(a.max())
        if high >= n_classes:
            raise ValueError(
                f"{name} holds label {high} at index {int(a.argmax())}, outside the allowed range "
                f"0..{n_classes - 1} (n_classes={n_classes})."
            )
    return a


def check_xy(
    x: Any,
    y: Any,
    n_classes: int | None = None,
    shape: tuple | None = None,
    names: tuple[str, str] = ("x", "y"),
    images: bool = True,
) -> tuple[Any, np.ndarray]:
    """Check samples and labels together: as :func:`check_images` and :func:`check_labels`, and equally many.

    ``images=False`` checks only lengths and labels (for texts and other non-numeric samples).

    Example:
        >>> check_xy(np.zeros((3, 2)), [0, 1])
        Traceback (most recent call last):
        ...
        ValueError: x and y have different lengths: 3 samples and 2 labels; allowed: one label per sample.
    """
    xn, yn = names
    if images:
        x = check_images(x, xn, shape=shape)
    elif isinstance(x, (list, tuple)) or hasattr(x, "__len__"):
        if len(x) == 0:
            raise ValueError(f"{xn} is empty; allowed: at least one sample.")
    if hasattr(x, "__len__") and hasattr(y, "__len__") and len(x) != len(y):
        raise ValueError(
            f"{xn} and {yn} have different lengths: {len(x)} samples and {len(y)} labels; allowed: one label per sample."
        )
    return x, check_labels(y, yn, n=len(x) if hasattr(x, "__len__") else None, n_classes=n_classes)


def check_model_input(model: Any, x: Any, name: str = "x") -> Any:
    """:func:`check_images` against what ``model`` takes (its ``input_shape``), for single-input models.

    Example:
        >>> import keras
        >>> model = keras.Sequential([keras.Input((4, 4)), keras.layers.Flatten()])
        >>> check_model_input(model, np.zeros((2, 5, 5)))
        Traceback (most recent call last):
        ...
        ValueError: x has samples of shape (5, 5), but the model takes (4, 4) (None: any size); resize or reshape the inputs (keras_tl.image_adapter) to match.
    """
    inputs = getattr(model, "inputs", None) or []
    if any(str(getattr(i, "dtype", "")) == "string" for i in inputs):
        return x  # a text model: keras_tl.text.check_texts checks its inputs
    shape = tuple(inputs[0].shape[1:]) if len(inputs) == 1 else None
    return check_images(x, name, shape=shape)


def _loss_kind(model: Any) -> str | None:
    """``"sparse"``, ``"categorical"``, ``"binary"`` or ``None`` (not compiled, or another loss)."""
    loss = getattr(model, "loss", None)
    if loss is None or getattr(model, "optimizer", None) is None:
        return None
    name = loss if isinstance(loss, str) else getattr(loss, "name", None) or getattr(loss, "__name__", "")
    name = str(name).lower()
    if "sparse" in name:
        return "sparse"
    if "binary" in name:
        return "binary"
    if "categorical" in name:
        return "categorical"
    return None


def _starts_with_preprocess(model: Any) -> bool:
    """Whether a keras_tl ``Preprocess`` layer comes before any layer with weights (adapters may precede it).

    A layer that scales raw 0..255 pixels itself says so with the class attribute ``takes_raw_pixels = True``
    (``keras_tl.Preprocess`` does): this module sits below the backbones and does not import them.
    """

    def walk(m):
        for layer in getattr(m, "layers", []):
            if getattr(type(layer), "takes_raw_pixels", False):
                return True
            if hasattr(layer, "layers"):
                found = walk(layer)
                if found is not None:
                    return found
            elif layer.weights:
                return False
        return None

    return bool(walk(model))


def check_pixel_scale(model: Any, x: Any, name: str = "x") -> None:
    """Refuse float images scaled to 0..1 for a model whose first step is a keras_tl ``Preprocess`` (0..255).

    Example:
        >>> check_pixel_scale(object(), np.full((2, 4, 4, 3), 0.5))  # no Preprocess layer: anything goes
    """
    if not is_array_like(x):
        return
    a = np.asarray(x)
    if a.size == 0 or not np.issubdtype(a.dtype, np.floating) or not _starts_with_preprocess(model):
        return
    high, low = float(np.nanmax(a)), float(np.nanmin(a))
    if 0.0 < high <= 1.0 and low >= 0.0:
        raise ValueError(
            f"{name} looks scaled to 0..1 (max {high:.3g}), but the model starts with a keras_tl Preprocess layer "
            "that expects raw pixels 0..255 (it applies the backbone's own scaling): pass the uint8 images, "
            f"or {name} * 255."
        )


def check_fit(model: Any, x: Any, y: Any) -> None:
    """Check ``model.fit(x, y)``'s inputs before Keras does, with a message that says what to fix; ``None`` if fine.

    Catches: string labels, one-hot labels with a sparse loss (and integer labels with
    ``categorical_crossentropy``), a label at or above the model's number of outputs, NaN or
    infinite pixels, images scaled to 0..1 for a model that starts with a keras_tl ``Preprocess``
    layer (it expects 0..255), grayscale images for a model that wants 3 channels, and images of
    the wrong size. The loss checks need a compiled model. A ``tf.data.Dataset`` or generator
    ``x`` passes unchecked.

    Example:
        >>> import keras
        >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
        >>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        >>> check_fit(model, np.zeros((2, 4)), [0, 2]) is None
        True
        >>> check_fit(model, np.zeros((2, 4)), [0, 3])
        Traceback (most recent call last):
        ...
        ValueError: y holds label 3 at index 1, but the model has 3 outputs (classes 0..2): give the last layer Dense(4) (one unit per class), or fix the labels.
    """
    if not is_array_like(x):
        return None
    outputs = getattr(model, "outputs", None) or []
    n_out = int(outputs[0].shape[-1]) if len(outputs) == 1 and outputs[0].shape[-1] is not None else None
    loss = _loss_kind(model)
    ya = np.asarray(y)
    if ya.dtype == object or ya.dtype.kind in "US":
        first = ya.ravel()[0].item() if ya.size and ya.dtype != object else (ya.ravel()[0] if ya.size else None)
        raise ValueError(
            f"y holds strings (e.g. {first!r}); a model needs integer class labels 0..k-1. Map them with "
            "`class_names, y = np.unique(y, return_inverse=True)` (class_names[i] is label i)."
        )
    if ya.ndim == 2 and ya.shape[1] > 1:
        if loss == "sparse":
            raise ValueError(
                f"y is one-hot (shape {ya.shape}) but the model's loss is sparse_categorical_crossentropy, which "
                "takes integer labels: pass y.argmax(axis=1), or compile with loss='categorical_crossentropy'."
            )
        if n_out is not None and ya.shape[1] != n_out:
            raise ValueError(
                f"y is one-hot with {ya.shape[1]} columns, but the model has {n_out} outputs: give the last layer "
                f"Dense({ya.shape[1]}), or one column per output."
            )
    elif ya.ndim == 1 and loss == "categorical":
        raise ValueError(
            "y holds integer labels (1-D) but the model's loss is categorical_crossentropy, which takes one-hot "
            "labels: compile with loss='sparse_categorical_crossentropy', or pass "
            "keras.utils.to_categorical(y, num_classes)."
        )
    a = check_images(x, "x")
    if hasattr(y, "__len__") and len(a) != len(y):
        raise ValueError(f"x and y have different lengths: {len(a)} samples and {len(y)} labels; allowed: one label per sample.")
    if ya.ndim == 1 and loss != "binary":
        labels = check_labels(ya, "y")
        if n_out is not None and n_out > 1 and int(labels.max()) >= n_out:
            high = int(labels.max())
            raise ValueError(
                f"y holds label {high} at index {int(labels.argmax())}, but the model has {n_out} outputs "
                f"(classes 0..{n_out - 1}): give the last layer Dense({high + 1}) (one unit per class), or fix the labels."
            )
    inputs = getattr(model, "inputs", None) or []
    if len(inputs) == 1 and str(getattr(inputs[0], "dtype", "")) != "string":
        want = tuple(inputs[0].shape[1:])
        got = a.shape[1:]
        if len(want) == 3 and want[-1] == 3 and (len(got) == 2 or (len(got) == 3 and got[-1] == 1)):
            raise ValueError(
                f"x is grayscale (samples of shape {got}) but the model takes {want}, 3 channels: convert with "
                "np.repeat(x[..., None] if x.ndim == 3 else x, 3, axis=-1), load with image_folder(color_mode='rgb'), "
                "or put keras_tl.image_adapter(size) in front (keras_tl.reuse(base, n, input_shape=x.shape[1:]) does)."
            )
        if not _shape_fits(got, want):
            raise ValueError(
                f"x has samples of shape {got}, but the model takes {want} (None: any size): resize the images "
                "(image_folder(path, image_size=...), keras_tl.adapt_images) or put keras_tl.image_adapter(size) "
                "in front of the model."
            )
    check_pixel_scale(model, a)
    return None
