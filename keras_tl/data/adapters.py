"""Adapters that turn grayscale images into what an ImageNet backbone expects.
"""


from __future__ import annotations

import keras
import numpy as np

from keras_tl.data.splits import _check_xy

__all__ = ["GrayscaleToRGB", "adapt_images", "image_adapter"]


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
        >>> from keras_tl import digits
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
