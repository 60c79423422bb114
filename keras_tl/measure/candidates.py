"""The candidate backbones that install offline, as models that take your raw images (:func:`offline_candidates`).

What :func:`keras_tl.score_backbones` ranks by default, and what ``advise(..., backbones="offline")`` and
``python -m keras_tl advise --data FOLDER --backbones offline`` build.

Example:
    >>> OFFLINE_CANDIDATES[0]
    'MobileNetV2:imagenet-torchvision'
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import keras
import numpy as np

from keras_tl.data.adapters import image_adapter
from keras_tl.measure.stats import seed_offset
from keras_tl.models.backbones import Preprocess, load_backbone
from keras_tl.models.registry import get_spec
from keras_tl.models.weight_sources import WEIGHT_SOURCES, WeightSourceUnavailable

__all__ = ["OFFLINE_CANDIDATES", "offline_candidates"]

#: The default candidates of :func:`offline_candidates`, as ``"Backbone:weights"`` (``random``: random
#: weights, the baseline). A source that this keras_tl does not register is left out.
OFFLINE_CANDIDATES = (
    "MobileNetV2:imagenet-torchvision",
    "EfficientNetLite0:imagenet-lite0",
    "VGG16:hed-bsds500",
    "MobileNetV2:random",
)


def offline_candidates(
    input_shape: tuple[int, ...] = (96, 96, 3),
    names: Sequence[str] | None = None,
    *,
    size: int | None = None,
    seed: int = 0,
) -> dict[str, keras.Model]:
    """The backbones with real weights that install offline, as frozen models that take your raw images.

    Each candidate is ``keras.Sequential([Input(input_shape), image_adapter, Preprocess, backbone])``: the
    adapter repeats a grayscale channel to RGB and resizes (only when needed), :class:`keras_tl.Preprocess`
    scales 0..255 pixels the way the weights expect. Sources that ship an ImageNet classifier keep it
    (``include_top=True``), so :func:`keras_tl.score_backbones` computes LEEP; the others end in average pooling.
    The backbone itself is the attribute ``keras_tl_backbone`` of each model (``keras_tl_candidate`` is
    ``(backbone name, weights)``). A model of your own (the develop-model source CNN of
    :func:`keras_tl.pretrain_source_model`, say) joins them as another entry of the dictionary, if it takes
    the same images: as it is (scored below its softmax layer, with LEEP) or cut where you want with
    :func:`keras_tl.feature_extractor` (at ``"flatten"`` the source CNN scored best on Fashion-MNIST 5-9,
    below its classifier worst: docs/advisor.md, "Choosing the backbone").

    Args:
        input_shape: the shape of your images: ``(h, w)`` or ``(h, w, 1)`` (grayscale) or ``(h, w, 3)``.
        names: ``"Backbone:weights"`` entries, ``weights`` an offline source of
            :func:`keras_tl.available_weights` or ``random`` (random weights, the baseline); default
            :data:`OFFLINE_CANDIDATES`, where a source whose package is not installed is skipped with a
            warning that gives the ``pip`` command (a name you ask for raises instead).
        size: the backbones' input size in pixels (default: your images' size, at least 32).
        seed: random weights are drawn after ``keras.utils.set_random_seed(100 * seed_offset() + seed)``
            (:func:`keras_tl.seed_offset`), so the baseline is the same draw on every call.

    Example:
        >>> models = offline_candidates((28, 28), names=["MobileNetV2:random"], size=32)
        >>> model = models["MobileNetV2:random"]
        >>> model.input_shape, model.output_shape
        ((None, 28, 28), (None, 1280))
    """
    shape = tuple(input_shape) if isinstance(input_shape, (tuple, list)) else None
    if shape is None or len(shape) not in (2, 3) or (len(shape) == 3 and shape[2] not in (1, 3)) or not all(
            isinstance(v, (int, np.integer)) and v > 0 for v in shape):
        raise ValueError(f"input_shape={input_shape!r} is not allowed: give (h, w), (h, w, 1) or (h, w, 3).")
    if size is not None and (isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 32):
        raise ValueError(f"size={size!r} is not allowed: give an int >= 32 (pixels), or None.")
    hw = (int(size), int(size)) if size is not None else (max(int(shape[0]), 32), max(int(shape[1]), 32))
    asked = names is not None
    if isinstance(names, str):
        names = [names]
    models = {}
    for name in names if asked else OFFLINE_CANDIDATES:
        backbone, weights = _parse_candidate(name, strict=asked)
        if backbone is None:
            continue
        try:
            if weights is None:
                keras.utils.set_random_seed(100 * seed_offset() + int(seed))
            models[name] = _candidate_model(backbone, weights, shape, hw)
        except WeightSourceUnavailable as exc:
            if asked:
                raise
            warnings.warn(f"offline_candidates: skipped {name}: {exc}", stacklevel=2)
    return models


def _parse_candidate(name, strict: bool) -> tuple[str | None, str | None]:
    """``"MobileNetV2:imagenet-torchvision"`` -> ``("MobileNetV2", "imagenet-torchvision")``; ``random`` -> None."""
    allowed = [f"{s.backbone}:{s.name}" for s in WEIGHT_SOURCES.values()] + ["<backbone>:random"]
    backbone, _, weights = name.partition(":") if isinstance(name, str) else ("", "", "")
    if not backbone or not weights:
        raise ValueError(f"candidate name {name!r} is not allowed: give 'Backbone:weights'; allowed: {allowed}.")
    if weights == "random":
        return get_spec(backbone).name, None
    if weights not in WEIGHT_SOURCES or WEIGHT_SOURCES[weights].backbone != get_spec(backbone).name:
        if not strict:  # a default source this keras_tl does not have (yet)
            return None, None
        raise ValueError(f"candidate name {name!r} is not allowed: {weights!r} is not an offline source of "
                         f"{backbone}; allowed: {allowed}.")
    return get_spec(backbone).name, weights


def _candidate_model(backbone: str, weights: str | None, shape: tuple, hw: tuple[int, int]) -> keras.Model:
    """Input -> (adapter) -> Preprocess -> the frozen backbone (with its ImageNet classifier when it has one)."""
    top = weights is not None and WEIGHT_SOURCES[weights].has_top
    base = load_backbone(backbone, weights=weights, input_shape=(*hw, 3), include_top=top,
                         pooling=None if top else "avg", trainable=False)
    layers = [keras.Input(shape)]
    if len(shape) == 2 or shape[2] != 3 or tuple(shape[:2]) != hw:
        layers.append(image_adapter(hw))
    layers += [Preprocess(backbone, weights=weights), base]
    model = keras.Sequential(layers, name=f"{backbone}_{weights or 'random'}".replace("-", "_"))
    model.keras_tl_backbone, model.keras_tl_candidate = base, (backbone, weights)
    return model
