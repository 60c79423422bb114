"""Your own images: a folder with one sub-folder per class, loaded as arrays or a ``tf.data`` pipeline.

The layout is the one ``keras.utils.image_dataset_from_directory`` reads::

    my_images/
        cats/  a.jpg  b.png ...
        dogs/  c.jpg ...

:func:`image_folder` returns an :class:`ImageFolder`: ``x`` (``uint8`` pixels 0..255), ``y``
(class indices 0..k-1, in the alphabetical order of the folder names), ``class_names``, and with
``validation_split`` a stratified ``x_val, y_val``. ``.dataset()`` gives a ``tf.data.Dataset``.

Example:
    >>> import tempfile, numpy as np
    >>> from PIL import Image
    >>> root = Path(tempfile.mkdtemp())
    >>> for name in ("cats", "dogs"):
    ...     (root / name).mkdir()
    ...     for i in range(3):
    ...         Image.fromarray(np.full((20, 30, 3), 40 * i, "uint8")).save(root / name / f"{i}.png")
    >>> data = image_folder(root, image_size=16)
    >>> data.x.shape, data.y.tolist(), data.class_names
    ((6, 16, 16, 3), [0, 0, 0, 1, 1, 1], ['cats', 'dogs'])
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["IMAGE_EXTENSIONS", "IN_MEMORY_LIMIT", "ImageFolder", "image_folder"]

#: The file endings read as images (as Keras's ``image_dataset_from_directory``); others are skipped.
IMAGE_EXTENSIONS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
#: Above this many images, ``image_folder`` streams from disk (``tf.data``) instead of loading arrays.
IN_MEMORY_LIMIT = 20_000

COLOR_MODES = {"rgb": ("RGB", 3), "grayscale": ("L", 1)}


@dataclass
class ImageFolder:
    """What :func:`image_folder` found: images, labels, class names, and an optional validation part.

    ``x`` is ``(n, h, w, 3)`` (``rgb``) or ``(n, h, w, 1)`` (``grayscale``) ``uint8``; ``y`` is
    ``int64`` in ``0..len(class_names)-1``. ``x`` and ``x_val`` are ``None`` when the images are
    streamed from disk (``as_dataset=True`` or more than :data:`IN_MEMORY_LIMIT` images): then use
    :meth:`dataset`. ``files``/``val_files`` are the image paths, in the order of ``y``/``y_val``.

    Example:
        >>> data = ImageFolder(np.zeros((2, 4, 4, 3), "uint8"), np.array([0, 1]), ["a", "b"])
        >>> data.train[0].shape, data.n_classes
        ((2, 4, 4, 3), 2)
    """

    x: np.ndarray | None
    y: np.ndarray
    class_names: list[str]
    x_val: np.ndarray | None = None
    y_val: np.ndarray | None = None
    files: list[str] = field(default_factory=list)
    val_files: list[str] = field(default_factory=list)
    image_size: tuple[int, int] = (64, 64)
    color_mode: str = "rgb"
    batch_size: int = 32

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    @property
    def train(self) -> tuple[np.ndarray | None, np.ndarray]:
        """``(x, y)``, ready for ``model.fit(*data.train)``."""
        return self.x, self.y

    @property
    def validation(self) -> tuple[np.ndarray, np.ndarray] | None:
        """``(x_val, y_val)`` (``None`` without ``validation_split``), ready for ``validation_data=``."""
        return None if self.y_val is None else (self.x_val, self.y_val)

    def __repr__(self) -> str:
        where = "in memory" if self.x is not None else "streamed from disk"
        val = f", {len(self.y_val)} validation" if self.y_val is not None else ""
        return (f"ImageFolder({len(self.y)} images{val}, {self.n_classes} classes {self.class_names}, "
                f"{self.image_size[0]}x{self.image_size[1]} {self.color_mode}, {where})")

    def dataset(self, subset: str = "train", batch_size: int | None = None, shuffle: bool | None = None, seed: int = 0):
        """A batched ``tf.data.Dataset`` of ``(images, labels)`` for ``subset`` ``"train"`` or ``"validation"``.

        Shuffled (each epoch) for ``"train"`` unless ``shuffle=False``; prefetched. In-memory images
        are sliced from the arrays; streamed ones are read with Pillow as the batches are needed.

        Example:
            >>> data = ImageFolder(np.zeros((5, 4, 4, 3), "uint8"), np.arange(5) % 2, ["a", "b"])
            >>> [tuple(xb.shape) for xb, yb in data.dataset(batch_size=2)]
            [(2, 4, 4, 3), (2, 4, 4, 3), (1, 4, 4, 3)]
        """
        import tensorflow as tf

        if subset not in ("train", "validation"):
            raise ValueError(f"subset={subset!r} is not allowed: give 'train' or 'validation'.")
        if subset == "validation" and self.y_val is None:
            raise ValueError("There is no validation part: call image_folder(..., validation_split=0.2).")
        batch_size = self.batch_size if batch_size is None else batch_size
        if not isinstance(batch_size, (int, np.integer)) or isinstance(batch_size, bool) or batch_size < 1:
            raise ValueError(f"batch_size={batch_size!r} is not allowed: give an int >= 1.")
        x, y, files = (self.x, self.y, self.files) if subset == "train" else (self.x_val, self.y_val, self.val_files)
        shuffle = subset == "train" if shuffle is None else shuffle
        if x is not None:
            ds = tf.data.Dataset.from_tensor_slices((x, y))
            if shuffle:
                ds = ds.shuffle(len(y), seed=seed, reshuffle_each_iteration=True)
        else:
            h, w = self.image_size
            mode, channels = COLOR_MODES[self.color_mode]

            def read(path):
                return _read_image(Path(path.decode() if isinstance(path, bytes) else str(path)), (h, w), mode)

            def load(path, label):
                image = tf.numpy_function(read, [path], tf.uint8)
                image.set_shape((h, w, channels))
                return image, label

            ds = tf.data.Dataset.from_tensor_slices((list(files), y))
            if shuffle:
                ds = ds.shuffle(len(y), seed=seed, reshuffle_each_iteration=True)
            ds = ds.map(load, num_parallel_calls=tf.data.AUTOTUNE)
        return ds.batch(int(batch_size)).prefetch(tf.data.AUTOTUNE)


def _read_image(path: Path, size: tuple[int, int] | None, mode: str) -> np.ndarray:
    """One image as ``uint8`` ``(h, w, channels)``: converted to ``mode``, resized bilinearly (``size=None``: as is)."""
    from PIL import Image

    with Image.open(path) as img:
        img.load()
        if img.mode in ("P", "PA", "LA", "RGBA") and mode == "RGB":
            img = img.convert("RGBA")  # palette and alpha images: alpha is dropped below
        img = img.convert(mode)
        if size is not None and img.size != (size[1], size[0]):
            img = img.resize((size[1], size[0]), Image.BILINEAR)
        a = np.asarray(img, dtype=np.uint8)
    return a[..., None] if a.ndim == 2 else a


def _check_size(image_size) -> tuple[int, int]:
    size = (image_size, image_size) if isinstance(image_size, (int, np.integer)) and not isinstance(image_size, bool) else image_size
    if (not isinstance(size, (tuple, list)) or len(size) != 2
            or not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s >= 1 for s in size)):
        raise ValueError(f"image_size={image_size!r} is not allowed: give a positive int or (height, width).")
    return int(size[0]), int(size[1])


def _scan(root: Path, max_per_class: int | None, seed: int) -> tuple[list[str], list[list[Path]], int]:
    """Class names, each class's image files (sorted), and how many files were skipped."""
    skipped = 0
    classes, files = [], []
    for entry in sorted(root.iterdir(), key=lambda p: p.name):
        if entry.name.startswith("."):
            continue
        if not entry.is_dir():
            skipped += 1
            continue
        found = []
        for dirpath, dirnames, filenames in os.walk(entry):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                if name.startswith(".") or not name.lower().endswith(IMAGE_EXTENSIONS):
                    skipped += 1
                else:
                    found.append(Path(dirpath) / name)
        if max_per_class is not None and len(found) > max_per_class:
            keep = np.random.default_rng(seed).choice(len(found), max_per_class, replace=False)
            found = [found[i] for i in sorted(keep)]
        classes.append(entry.name)
        files.append(found)
    return classes, files, skipped


def image_folder(
    path: str | os.PathLike,
    image_size: int | tuple[int, int] = (64, 64),
    color_mode: str = "rgb",
    validation_split: float | None = None,
    seed: int = 0,
    as_dataset: bool = False,
    batch_size: int = 32,
    max_per_class: int | None = None,
) -> ImageFolder:
    """Load a folder of your own images, one sub-folder per class, as an :class:`ImageFolder`.

    Class names are the sub-folder names, sorted (label 0 is the first). Images may be JPEG, PNG,
    BMP or GIF (first frame), of mixed sizes and modes: each is converted to ``color_mode``
    (``"rgb"``: grayscale ``L`` is repeated, palette ``P`` expanded, the alpha of ``RGBA`` dropped;
    ``"grayscale"``: luminance) and resized bilinearly to ``image_size`` (``int`` for a square, or
    ``(height, width)``), without keeping the aspect ratio. Pixels stay ``uint8`` 0..255. Files
    inside sub-sub-folders count for their class. Hidden files and folders (``.DS_Store``,
    ``.ipynb_checkpoints``) and files without an image ending are skipped, as Keras does, and
    counted in a warning.

    ``validation_split`` (a fraction in (0, 1)) holds out that share of every class (at least one
    image each), chosen at random with ``seed``. ``max_per_class`` keeps at most that many images
    per class (a random sample with ``seed``). ``as_dataset=True`` (or more than
    :data:`IN_MEMORY_LIMIT` images) does not load the pixels: every file is checked with Pillow
    and ``.dataset()`` reads them batch by batch (``batch_size``).

    Errors: a missing folder (``FileNotFoundError``), no class sub-folders or only one, a class
    without images, an image Pillow cannot decode (the file is named), or a class too small for
    ``validation_split`` raise before anything is returned.

    Example:
        >>> import tempfile
        >>> from PIL import Image
        >>> root = Path(tempfile.mkdtemp())
        >>> for name in ("a", "b"):
        ...     (root / name).mkdir()
        ...     for i in range(5):
        ...         Image.fromarray(np.zeros((8, 8), "uint8")).save(root / name / f"{i}.jpg")
        >>> data = image_folder(root, image_size=4, color_mode="grayscale", validation_split=0.2)
        >>> data.x.shape, data.y_val.tolist()
        ((8, 4, 4, 1), [0, 1])
    """
    size = _check_folder_options(image_size, color_mode, validation_split, max_per_class, batch_size)
    _, classes, files = _scan_checked(path, max_per_class, seed, validation_split)
    train_files, train_y, val_files, val_y = _split_files(files, validation_split, seed)
    n_total = len(train_files) + len(val_files)
    stream = as_dataset or n_total > IN_MEMORY_LIMIT
    if stream and not as_dataset:
        warnings.warn(f"{n_total} images are more than IN_MEMORY_LIMIT={IN_MEMORY_LIMIT}: they are not loaded; "
                      "use .dataset() to read them batch by batch.", stacklevel=2)
    mode, channels = COLOR_MODES[color_mode]
    x, x_val = (_load_images(f, size, mode, channels, stream) for f in (train_files, val_files))
    has_val = validation_split is not None
    return ImageFolder(
        x=x, y=np.asarray(train_y, np.int64), class_names=classes,
        x_val=x_val if has_val else None, y_val=np.asarray(val_y, np.int64) if has_val else None,
        files=[str(p) for p in train_files], val_files=[str(p) for p in val_files],
        image_size=size, color_mode=color_mode, batch_size=int(batch_size),
    )


def _check_folder_options(image_size, color_mode, validation_split, max_per_class, batch_size) -> tuple[int, int]:
    """:func:`image_folder`'s options checked; returns the image size as (height, width)."""
    size = _check_size(image_size)
    if color_mode not in COLOR_MODES:
        raise ValueError(f"color_mode={color_mode!r} is not allowed: give 'rgb' or 'grayscale'.")
    if validation_split is not None and not (isinstance(validation_split, (float, int)) and 0 < validation_split < 1):
        raise ValueError(f"validation_split={validation_split!r} is not allowed: give None or a fraction in (0, 1), e.g. 0.2.")
    if max_per_class is not None and (not isinstance(max_per_class, (int, np.integer)) or isinstance(max_per_class, bool)
                                      or max_per_class < 1):
        raise ValueError(f"max_per_class={max_per_class!r} is not allowed: give None or an int >= 1.")
    if not isinstance(batch_size, (int, np.integer)) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValueError(f"batch_size={batch_size!r} is not allowed: give an int >= 1.")
    return size


def _scan_checked(path, max_per_class, seed, validation_split) -> tuple[Path, list[str], list[list[Path]]]:
    """The folder's classes and image files, with a clear error for every layout that cannot train a classifier."""
    root = Path(path).expanduser()
    if not root.exists():
        raise FileNotFoundError(f"Image folder {str(root)!r} does not exist (working directory: {os.getcwd()}).")
    if not root.is_dir():
        raise NotADirectoryError(f"{str(root)!r} is a file; give a folder with one sub-folder of images per class.")
    classes, files, skipped = _scan(root, max_per_class, seed)
    layout = f"expected {root}/<class name>/<image>.jpg, one sub-folder per class"
    if not classes:
        what = "is empty" if skipped == 0 else f"has no class sub-folders (only {skipped} loose file(s))"
        raise ValueError(f"Image folder {str(root)!r} {what}: {layout}.")
    if len(classes) == 1:
        raise ValueError(
            f"Image folder {str(root)!r} has one class sub-folder only ({classes[0]!r}): a classifier needs at "
            f"least 2 classes; {layout}."
        )
    empty = [c for c, f in zip(classes, files) if not f]
    if empty:
        raise ValueError(
            f"Class folder(s) {empty} in {str(root)!r} hold no image ({', '.join(IMAGE_EXTENSIONS)}); "
            "add images or remove the folder(s)."
        )
    if validation_split is not None:
        small = {c: len(f) for c, f in zip(classes, files) if len(f) < 2}
        if small:
            raise ValueError(
                f"Class(es) {small} (images per class) have fewer than the 2 images validation_split needs "
                "(at least 1 to train on and 1 to validate); add images or pass validation_split=None."
            )
    if skipped:
        warnings.warn(
            f"image_folder skipped {skipped} file(s) in {str(root)!r} that are hidden, not in a class "
            f"sub-folder, or not images ({', '.join(IMAGE_EXTENSIONS)}).", stacklevel=3
        )
    return root, classes, files


def _split_files(files: list[list[Path]], validation_split, seed: int) -> tuple[list, list, list, list]:
    """Per class, a seeded ``validation_split`` of the files (at least one each side); the rest to train."""
    train_files, train_y, val_files, val_y = [], [], [], []
    rng = np.random.default_rng(seed)
    for label, class_files in enumerate(files):
        order = list(range(len(class_files)))
        n_val = 0
        if validation_split is not None:
            n_val = min(len(class_files) - 1, max(1, int(round(validation_split * len(class_files)))))
            order = list(rng.permutation(len(class_files)))
        val_idx = sorted(order[:n_val])
        train_idx = sorted(order[n_val:])
        train_files += [class_files[i] for i in train_idx]
        train_y += [label] * len(train_idx)
        val_files += [class_files[i] for i in val_idx]
        val_y += [label] * len(val_idx)
    return train_files, train_y, val_files, val_y


def _load_images(paths: list[Path], size, mode: str, channels: int, stream: bool) -> np.ndarray | None:
    """Every image decoded into one uint8 array; when streaming, only checked that it decodes."""
    out = None if stream else np.empty((len(paths), *size, channels), np.uint8)
    for i, p in enumerate(paths):
        try:
            if stream:
                from PIL import Image

                with Image.open(p) as img:
                    img.verify()
            else:
                out[i] = _read_image(p, size, mode)
        except Exception as exc:  # Pillow raises UnidentifiedImageError, OSError, SyntaxError...
            raise ValueError(
                f"Cannot decode image file {str(p)!r} ({type(exc).__name__}: {exc}); remove or replace it "
                f"(allowed: {', '.join(IMAGE_EXTENSIONS)} files Pillow can open). Nothing was loaded."
            ) from None
    return out

