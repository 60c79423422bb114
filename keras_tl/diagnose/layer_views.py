"""What each layer sees: first-layer filters as pictures, feature maps, and the images that excite a channel most.

Early convolutional layers of an ImageNet network learn edge, colour and
blob detectors that suit almost any photo; late layers respond to parts and
objects of the source task. That is why the early blocks transfer and the late
ones are the first to fine-tune or replace (notebook 03 measures it). These
functions make it visible, on plain models and on keras_tl's models with a
nested base alike (the layer is looked up inside nested models, as in
:func:`keras_tl.grad_cam`).

Example:
    >>> from keras_tl import build_source_cnn
    >>> layer_filters(build_source_cnn(filters=(4, 8))).shape
    (4, 3, 3, 1)
"""

from __future__ import annotations

from typing import Sequence

import keras
import numpy as np

from keras_tl.diagnose.gradcam import _leaf_layers, activations

__all__ = ["feature_maps", "filter_smoothness", "layer_filters", "plot_filters", "plot_top_activating", "top_activating"]


def _conv_layers(model: keras.Model) -> list[keras.Layer]:
    return [layer for layer in _leaf_layers(model) if type(layer) is keras.layers.Conv2D]


def layer_filters(model: keras.Model, layer: str | None = None) -> np.ndarray:
    """The kernels of a ``Conv2D`` layer as pictures: ``(filters, kh, kw, in_channels)``, each scaled to [0, 1].

    ``layer`` defaults to the first ``Conv2D`` (nested models included). Each
    filter is shifted and scaled by its own min and max, so a filter's pattern
    (not its size) is what shows.

    Example:
        >>> import keras
        >>> model = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(5, 3, name="c")])
        >>> f = layer_filters(model)
        >>> f.shape, float(f.min()), float(f.max())
        ((5, 3, 3, 3), 0.0, 1.0)
    """
    convs = _conv_layers(model)
    names = [c.name for c in convs]
    if not convs:
        raise ValueError(f"Model {model.name!r} has no Conv2D layer whose filters could be shown.")
    if layer is None:
        conv = convs[0]
    elif layer not in names:
        raise ValueError(f"layer={layer!r} is not allowed: it is not a Conv2D layer of {model.name!r}; Conv2D layers are e.g. {names[:5]}.")
    else:
        conv = convs[names.index(layer)]
    w = keras.ops.convert_to_numpy(conv.kernel).astype("float32")  # (kh, kw, in, out)
    w = np.moveaxis(w, -1, 0)
    lo = w.min(axis=(1, 2, 3), keepdims=True)
    span = w.max(axis=(1, 2, 3), keepdims=True) - lo
    return (w - lo) / np.where(span > 0, span, 1.0)


def filter_smoothness(filters: np.ndarray) -> float:
    """How smooth filters are: the mean correlation between horizontally and vertically adjacent kernel weights.

    Near 0 for random (independent) weights; positive for filters that are
    smooth edges, blobs and colour patches, as trained first layers are.

    Example:
        >>> ramps = np.broadcast_to(np.linspace(0, 1, 3)[None, None, :, None], (4, 3, 3, 1))
        >>> round(filter_smoothness(ramps), 2)
        0.57
        >>> round(filter_smoothness(np.random.default_rng(0).random((64, 3, 3, 3))), 2)
        -0.04
    """
    f = np.asarray(filters, "float64")
    if f.ndim != 4 or min(f.shape[1:3]) < 2:
        raise ValueError(f"filters have shape {f.shape}; allowed: (n, kh, kw, channels) with kh, kw >= 2 (from layer_filters).")
    f = f - f.mean(axis=(1, 2, 3), keepdims=True)
    pairs = [(f[:, :, :-1], f[:, :, 1:]), (f[:, :-1, :], f[:, 1:, :])]
    num = sum(float((a * b).sum()) for a, b in pairs)
    den = sum(float(np.sqrt((a * a).sum() * (b * b).sum())) for a, b in pairs)
    return num / den if den > 0 else 0.0


def feature_maps(model: keras.Model, layer: str | None, images, batch_size: int = 64) -> np.ndarray:
    """The output of a feature-map ``layer`` for ``images``: ``(n, h, w, channels)``.

    ``layer`` may sit inside a nested base (a keras_tl ``reuse``/``add_head``
    model); ``None`` is the last 4-D layer. Images are what the model takes.

    Example:
        >>> from keras_tl import build_source_cnn
        >>> feature_maps(build_source_cnn(filters=(4, 8)), "block1_relu", np.zeros((2, 28, 28))).shape
        (2, 28, 28, 4)
    """
    return activations(model, layer, images, batch_size)


def top_activating(
    model: keras.Model,
    layer: str | None,
    images,
    channels: Sequence[int] | None = None,
    k: int = 5,
    batch_size: int = 64,
) -> np.ndarray:
    """For each channel, the indices of the ``k`` images that activate it most: ``(len(channels), k)``.

    An image's activation for a channel is the channel's maximum over the
    feature map (the strongest response anywhere in the image). ``channels``
    defaults to the first 8.

    Example:
        >>> from keras_tl import build_source_cnn
        >>> x = np.zeros((6, 28, 28)); x[4] = 255
        >>> top_activating(build_source_cnn(filters=(4, 8)), "block1_relu", x, channels=[0], k=2).shape
        (1, 2)
    """
    maps = feature_maps(model, layer, images, batch_size)
    n, n_channels = maps.shape[0], maps.shape[-1]
    if channels is None:
        channels = list(range(min(8, n_channels)))
    channels = [int(c) for c in np.atleast_1d(channels)]
    bad = [c for c in channels if not 0 <= c < n_channels]
    if bad:
        raise ValueError(f"channels={bad} are not allowed: layer {layer!r} has {n_channels} channels, 0..{n_channels - 1}.")
    if not isinstance(k, (int, np.integer)) or not 1 <= k <= n:
        raise ValueError(f"k={k!r} is not allowed: give 1..{n} (the number of images).")
    peak = maps.max(axis=(1, 2))[:, channels]  # (n, len(channels))
    return np.argsort(-peak, axis=0, kind="stable")[:k].T


def plot_filters(filters: np.ndarray, n: int = 32, title: str | None = None):
    """Show up to ``n`` filters (from :func:`layer_filters`) in a grid; RGB for 3 input channels, gray otherwise.

    Example:
        >>> fig = plot_filters(np.random.default_rng(0).random((6, 3, 3, 3)), n=4)
        >>> len([ax for ax in fig.axes if ax.images])
        4
    """
    import matplotlib.pyplot as plt

    f = np.asarray(filters)[:n]
    cols = min(8, len(f))
    rows = -(-len(f) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(1.1 * cols, 1.1 * rows + (0.4 if title else 0)), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, w in zip(axes.flat, f):
        ax.imshow(w if w.shape[-1] == 3 else w[..., 0], cmap=None if w.shape[-1] == 3 else "gray", interpolation="nearest")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_top_activating(images, indices: np.ndarray, row_titles: Sequence[str] | None = None):
    """One row per channel: its top-activating images (``indices`` from :func:`top_activating`).

    Example:
        >>> fig = plot_top_activating(np.zeros((5, 8, 8)), np.array([[0, 1], [2, 3]]), ["ch 0", "ch 1"])
        >>> len(fig.axes)
        4
    """
    import matplotlib.pyplot as plt

    x = np.asarray(images)
    idx = np.asarray(indices)
    fig, axes = plt.subplots(idx.shape[0], idx.shape[1], figsize=(1.1 * idx.shape[1] + 0.8, 1.1 * idx.shape[0]), squeeze=False)
    for r in range(idx.shape[0]):
        for c in range(idx.shape[1]):
            img = x[idx[r, c]]
            axes[r, c].imshow(img, cmap="gray" if img.ndim == 2 else None)
            axes[r, c].set_xticks([])
            axes[r, c].set_yticks([])
        if row_titles is not None:
            axes[r, 0].set_ylabel(str(row_titles[r]), fontsize=8)
    fig.tight_layout()
    return fig

