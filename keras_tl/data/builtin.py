"""The two image domains that ship with the set-up, readable offline.

* :func:`fashion_mnist` -- 70,000 grayscale 28x28 clothing images in 10 classes, read from the Debian
  package ``dataset-fashion-mnist``, from the Keras cache, or downloaded by Keras on a connected machine.
* :func:`digits` -- scikit-learn's bundled handwritten digits (8x8, optionally resized to 28x28).

Images come back the way ``keras.datasets`` returns them: ``uint8`` arrays of shape ``(n, 28, 28)`` with
integer labels.
"""


from __future__ import annotations

import gzip
import os
from pathlib import Path

import keras
import numpy as np

from keras_tl.data._checks import Arrays
from keras_tl.data.splits import stratified_split

__all__ = [
    "FASHION_MNIST_CLASSES",
    "FASHION_MNIST_DIRS",
    "DatasetUnavailableError",
    "digits",
    "fashion_mnist",
    "load_dataset",
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
