"""The registry of Keras Applications backbones: what a student otherwise looks up by hand for each one -- the
Keras constructor, its ``preprocess_input``, the default and minimum input size and the name of the layer
whose output is used as features.

Example:
    >>> available()
    ['EfficientNetB0', 'EfficientNetLite0', 'InceptionV3', 'MobileNetV2', 'ResNet50', 'VGG16', 'Xception']
    >>> get_spec("vgg16").name
    'VGG16'
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import keras

from keras_tl.models import efficientnet_lite

__all__ = [
    "BACKBONES",
    "BackboneSpec",
    "BackboneWeightsUnavailable",
    "available",
    "get_spec",
    "keras_weights_cache",
]


class BackboneWeightsUnavailable(FileNotFoundError):
    """Pretrained weights could not be found in the cache nor downloaded."""


@dataclass(frozen=True)
class BackboneSpec:
    """What keras_tl knows about one Keras Applications backbone.

    Attributes:
        name: registry name, the Keras class name (``"VGG16"``).
        constructor: the ``keras.applications`` function that builds it.
        preprocess_input: its matching ``keras.applications.<module>.preprocess_input``,
            which expects RGB pixel values in 0..255.
        default_size: the input side the ImageNet weights were trained at.
        min_size: the smallest input side Keras accepts with ``include_top=False``.
        feature_layer: the name of the last feature map layer (before pooling and the classifier).
    """

    name: str
    constructor: Callable[..., keras.Model]
    preprocess_input: Callable
    default_size: int
    min_size: int
    feature_layer: str

    @property
    def default_input_shape(self) -> tuple[int, int, int]:
        return (self.default_size, self.default_size, 3)

    @property
    def min_input_shape(self) -> tuple[int, int, int]:
        return (self.min_size, self.min_size, 3)


_apps = keras.applications

BACKBONES: dict[str, BackboneSpec] = {
    spec.name: spec
    for spec in (
        BackboneSpec("VGG16", _apps.VGG16, _apps.vgg16.preprocess_input, 224, 32, "block5_pool"),
        BackboneSpec("ResNet50", _apps.ResNet50, _apps.resnet50.preprocess_input, 224, 32, "conv5_block3_out"),
        BackboneSpec("InceptionV3", _apps.InceptionV3, _apps.inception_v3.preprocess_input, 299, 75, "mixed10"),
        BackboneSpec("MobileNetV2", _apps.MobileNetV2, _apps.mobilenet_v2.preprocess_input, 224, 32, "out_relu"),
        BackboneSpec(
            "EfficientNetB0", _apps.EfficientNetB0, _apps.efficientnet.preprocess_input, 224, 32, "top_activation"
        ),
        # Not in keras.applications: built from Keras's EfficientNet code (keras_tl.models.efficientnet_lite).
        BackboneSpec(
            "EfficientNetLite0", efficientnet_lite.EfficientNetLite0, efficientnet_lite.preprocess_input, 224, 32,
            "top_activation",
        ),
        BackboneSpec("Xception", _apps.Xception, _apps.xception.preprocess_input, 299, 71, "block14_sepconv2_act"),
    )
}


def available() -> list[str]:
    """The names :func:`load_backbone` accepts, sorted.

    Example:
        >>> "ResNet50" in available()
        True
    """
    return sorted(BACKBONES)


def get_spec(name: str) -> BackboneSpec:
    """The :class:`BackboneSpec` of a registered backbone (case-insensitive name).

    Example:
        >>> get_spec("inceptionv3").min_size
        75
    """
    for key, spec in BACKBONES.items():
        if key.lower() == str(name).lower():
            return spec
    raise ValueError(f"Unknown backbone {name!r}; allowed: {available()}.")


def keras_weights_cache() -> Path:
    """The folder where Keras keeps downloaded application weights (``$KERAS_HOME/models``).

    Example:
        >>> keras_weights_cache().name
        'models'
    """
    home = os.environ.get("KERAS_HOME", os.path.join(os.path.expanduser("~"), ".keras"))
    return Path(home) / "models"


def _check_input_shape(spec: BackboneSpec, input_shape) -> tuple[int, int, int]:
    if input_shape is None:
        return spec.default_input_shape
    shape = tuple(input_shape)
    if len(shape) != 3 or any(not isinstance(d, int) or d < 1 for d in shape):
        raise ValueError(f"input_shape={input_shape!r} is not allowed: give (height, width, 3) with positive ints.")
    if shape[2] != 3:
        raise ValueError(
            f"input_shape={shape} has {shape[2]} channel(s); {spec.name} needs 3 (RGB). "
            "For grayscale images put keras_tl.image_adapter(size) in front of the backbone."
        )
    if min(shape[:2]) < spec.min_size:
        raise ValueError(
            f"input_shape={shape} is below the minimum {spec.min_input_shape} of {spec.name}. "
            f"Resize first, e.g. keras_tl.image_adapter({spec.min_size}) in front of the backbone, "
            f"or load with input_shape={spec.min_input_shape}."
        )
    return shape
