"""Input pipelines for image data: ``tf.data`` with shuffling, caching and prefetching.

``model.fit(x_array, y_array)`` is fine for small arrays. For larger ones, or
when images must be resized on the fly for an ImageNet-size backbone, a
``tf.data`` pipeline keeps the accelerator busy: the next batch is prepared
while the current one trains (``prefetch``), the resize is done in parallel
threads, and ``cache`` keeps the prepared images after the first epoch so
later epochs skip the work. :func:`image_dataset` builds one.

``tf.data`` needs TensorFlow installed, but not the TensorFlow *backend*:
Keras 3's ``fit``, ``evaluate`` and ``predict`` accept a ``tf.data.Dataset`` on
the JAX and PyTorch backends too. Without TensorFlow, :func:`image_dataset`
raises ``ImportError`` saying so; pass numpy arrays (and an
:func:`~keras_tl.image_adapter` as the first layers of the model)
instead.

Example:
    >>> import numpy as np
    >>> from keras_tl import image_dataset
    >>> x, y = np.zeros((10, 28, 28), "uint8"), np.arange(10) % 2
    >>> ds = image_dataset(x, y, batch_size=4, image_size=32)
    >>> [tuple(xb.shape) for xb, _ in ds]
    [(4, 32, 32, 3), (4, 32, 32, 3), (2, 32, 32, 3)]
"""

from __future__ import annotations

import os

import numpy as np

from keras_tl.core.data_input import is_dataset, is_tf_dataset

__all__ = ["image_dataset"]


def _tensorflow():
    try:
        import tensorflow as tf
    except ImportError as exc:  # e.g. a JAX-only machine
        raise ImportError(
            "keras_tl.image_dataset builds tf.data pipelines and needs TensorFlow (`pip install tensorflow-cpu` "
            "is enough on any Keras backend). Without it, pass numpy arrays to fit and put "
            "keras_tl.image_adapter(size) as the first layers of the model."
        ) from exc
    return tf


def image_dataset(
    x,
    y=None,
    batch_size: int | None = None,
    image_size: int | tuple[int, int] | None = None,
    shuffle: bool = False,
    cache: bool | str | os.PathLike = False,
    seed: int = 0,
    channels: int | None = None,
    preprocess=None,
    drop_remainder: bool = False,
):
    """A batched, prefetched ``tf.data.Dataset`` of images (and labels), resized on the fly.

    Args:
        x: images, ``(n, h, w)`` or ``(n, h, w, c)``, any numeric dtype (kept as
            given in memory; converted to ``float32`` batch by batch); or a
            ``tf.data.Dataset`` of image batches or ``(images, labels)`` batches (e.g. from
            ``keras.utils.image_dataset_from_directory``): the resize, channels and
            ``preprocess`` are mapped over its batches (labels kept), then ``cache`` and
            prefetch. A dataset with none of these to do raises ``ValueError``: it is already
            a dataset, pass it to ``fit``.
        y: labels, or ``None`` for an images-only dataset (for ``predict``); ``None``
            when ``x`` is a dataset.
        batch_size: images per batch; ``None``: 32 for arrays, a dataset's own batches
            (an int re-batches a dataset).
        image_size: resize to ``(size, size)`` or ``(height, width)``
            (bilinear), or ``None`` to keep the size.
        shuffle: reshuffle the examples every epoch (with ``seed``).
        cache: ``False``; ``True`` keeps the prepared (resized, preprocessed)
            images in memory after the first epoch; a path caches them in that
            file instead. Memory for ``True``: ``n * height * width * channels * 4`` bytes.
        seed: shuffling seed; the order is the same every run.
        channels: ``3`` repeats a grayscale channel (for ImageNet backbones),
            ``1`` keeps one; ``None``: ``3`` when ``image_size`` is given, else as ``x``.
        preprocess: applied to each float batch after resizing, e.g. a backbone's
            ``preprocess_input`` or a :class:`~keras_tl.Preprocess` layer.
        drop_remainder: drop a last, smaller batch (a fixed batch shape, e.g. for TPUs).

    Returns:
        A ``tf.data.Dataset`` yielding ``x`` or ``(x, y)`` batches, for ``fit``,
        ``evaluate`` and ``predict`` on any Keras backend.

    Only one batch (plus the prefetched ones) exists at full size at a time,
    unless ``cache=True``. Shuffling shuffles indices of the source arrays,
    never resized images.

    Example:
        >>> make = lambda: image_dataset(np.zeros((6, 8, 8)), np.arange(6), batch_size=3, shuffle=True, seed=1)
        >>> order = lambda ds: [int(v) for _, yb in ds for v in yb]
        >>> first = order(make())
        >>> sorted(first), first == order(make())  # a permutation, the same for the same seed
        ([0, 1, 2, 3, 4, 5], True)
    """
    if is_dataset(x):
        if not is_tf_dataset(x):
            raise ValueError(
                f"x is a {type(x).__name__} (a keras.utils.PyDataset): it is already a dataset, pass it to fit "
                "directly; image_dataset maps over arrays or a tf.data.Dataset only."
            )
        return _map_dataset(x, y, batch_size, image_size, shuffle, cache, channels, preprocess, drop_remainder)
    batch_size = 32 if batch_size is None else batch_size
    x = np.asarray(x)
    if x.ndim not in (3, 4):
        raise ValueError(f"x has shape {x.shape}: give images as (n, h, w) or (n, h, w, channels).")
    if len(x) == 0:
        raise ValueError("x is empty: there are no images to put in a dataset.")
    if y is not None:
        y = np.asarray(y)
        if len(y) != len(x):
            raise ValueError(f"x and y have different lengths: {len(x)} and {len(y)}.")
    _check_batch_size(batch_size)
    size = _size(image_size)
    in_channels = 1 if x.ndim == 3 else x.shape[-1]
    channels = _channels(channels, in_channels, size)
    tf = _tensorflow()
    prepare = _preparer(tf, x.ndim, in_channels, channels, size, preprocess)

    def on_batch(*batch):
        return prepare(batch[0]) if y is None else (prepare(batch[0]), batch[1])

    n = len(x)
    ds = tf.data.Dataset.range(n)  # indices: shuffling never copies images
    source = tuple(tf.convert_to_tensor(a) for a in ((x,) if y is None else (x, y)))  # captured, not copied per step
    gather = lambda idx: tuple(tf.gather(a, idx) for a in source)  # noqa: E731
    parallel = tf.data.AUTOTUNE
    if cache is not False:
        # Prepare every image once (in batches), keep them, then shuffle and batch the prepared ones.
        ds = ds.batch(max(batch_size, 256)).map(lambda idx: on_batch(*gather(idx)), num_parallel_calls=parallel)
        ds = ds.unbatch().cache("" if cache is True else os.fspath(cache))
        if shuffle:
            ds = ds.shuffle(n, seed=seed, reshuffle_each_iteration=True)
        ds = ds.batch(batch_size, drop_remainder=drop_remainder)
    else:
        if shuffle:
            ds = ds.shuffle(n, seed=seed, reshuffle_each_iteration=True)
        ds = ds.batch(batch_size, drop_remainder=drop_remainder)
        ds = ds.map(lambda idx: on_batch(*gather(idx)), num_parallel_calls=parallel, deterministic=True)
    return ds.prefetch(parallel)


def _check_batch_size(batch_size) -> None:
    if not isinstance(batch_size, (int, np.integer)) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValueError(f"batch_size={batch_size!r} is not allowed: give an int >= 1.")


def _size(image_size) -> tuple[int, int] | None:
    if image_size is None:
        return None
    size = (image_size, image_size) if isinstance(image_size, (int, np.integer)) else tuple(image_size)
    if len(size) != 2 or min(size) < 1:
        raise ValueError(f"image_size={image_size!r} is not allowed: give a positive int or (height, width).")
    return size


def _channels(channels, in_channels, size) -> int:
    if channels is None:
        channels = 3 if size is not None else in_channels
    if channels not in (1, 3) or (channels == 1 and in_channels != 1) or in_channels not in (1, 3):
        raise ValueError(
            f"channels={channels!r} is not allowed for images with {in_channels} channel(s): give 1 "
            "(grayscale kept) or 3 (grayscale repeated to RGB, or RGB kept)."
        )
    return channels


def _preparer(tf, ndim: int, in_channels: int, channels: int, size, preprocess):
    """The per-batch work: float32, a channel axis, grayscale to RGB, resize, preprocess."""

    def prepare(images):
        images = tf.cast(images, tf.float32)
        if ndim == 3:
            images = images[..., None]
        if channels == 3 and in_channels == 1:
            images = tf.repeat(images, 3, axis=-1)
        if size is not None:
            images = tf.image.resize(images, size)
        return preprocess(images) if preprocess is not None else images

    return prepare


def _map_dataset(ds, y, batch_size, image_size, shuffle, cache, channels, preprocess, drop_remainder):
    """:func:`image_dataset` over a ``tf.data.Dataset`` of image or ``(image, label)`` batches."""
    if y is not None:
        raise ValueError(
            "y is given, but x is a tf.data.Dataset, which yields its own labels; allowed: y=None with a dataset."
        )
    if shuffle:
        raise ValueError(
            "shuffle=True is not allowed for a tf.data.Dataset (its batches are already formed): shuffle when "
            "building it, e.g. image_dataset_from_directory(..., shuffle=True, seed=0)."
        )
    if batch_size is not None:
        _check_batch_size(batch_size)
    if image_size is None and channels is None and preprocess is None and cache is False and batch_size is None:
        raise ValueError(
            "x is already a tf.data.Dataset: pass it to fit, evaluate or predict directly, or give image_size, "
            "channels, preprocess, cache or batch_size for image_dataset to map over its batches."
        )
    tf = _tensorflow()
    spec = ds.element_spec
    labelled = isinstance(spec, tuple)
    x_spec = spec[0] if labelled else spec
    if not isinstance(x_spec, tf.TensorSpec) or x_spec.shape.rank not in (3, 4):
        raise ValueError(
            f"x yields {x_spec}: give a dataset of image batches, (n, h, w) or (n, h, w, channels), "
            "alone or with labels."
        )
    ndim = x_spec.shape.rank
    in_channels = 1 if ndim == 3 else x_spec.shape[-1]
    size = _size(image_size)
    channels = _channels(channels, in_channels, size)
    prepare = _preparer(tf, ndim, in_channels, channels, size, preprocess)
    if batch_size is not None:
        ds = ds.unbatch().batch(batch_size, drop_remainder=drop_remainder)
    parallel = tf.data.AUTOTUNE
    if labelled:
        ds = ds.map(lambda images, *rest: (prepare(images), *rest), num_parallel_calls=parallel, deterministic=True)
    else:
        ds = ds.map(prepare, num_parallel_calls=parallel, deterministic=True)
    if cache is not False:
        ds = ds.cache("" if cache is True else os.fspath(cache))
    return ds.prefetch(parallel)
