"""What :func:`keras_tl.advise` measures similarity on: datasets read into arrays, or the ImageNet photos as
the source sample of an ImageNet backbone.
"""

from __future__ import annotations

import keras
import numpy as np

from keras_tl.core.data_input import as_arrays, is_dataset, label_counts
from keras_tl.data.adapters import image_adapter
from keras_tl.data.photos import imagenet_photos
from keras_tl.models.backbones import Preprocess
from keras_tl.models.weight_sources import WEIGHT_SOURCES
from keras_tl.transfer.approaches import _registry_spec

__all__ = ["PHOTO_SOURCE_WEIGHTS"]

#: :func:`advise` names LoRA when fine-tuning everything updates more than this many parameters per labelled example.
LORA_PARAMS_PER_SAMPLE = 100


#: At most this many samples of a ``source`` or ``target`` dataset are read to measure similarity in :func:`advise`.
DATASET_SAMPLES = 2000


def _dataset_inputs(source, target, target_labels, n_samples, n_classes) -> tuple:
    """:func:`advise`'s datasets read into arrays, and ``n_samples`` (per class) counted from the target's labels."""
    if is_dataset(source):
        source = as_arrays(source, max_samples=DATASET_SAMPLES, name="source")[0]
    counts = None
    if is_dataset(target):
        if target_labels is not None:
            raise ValueError(
                "target_labels is given, but target is a dataset, which yields its own labels; "
                "allowed: target_labels=None with a dataset of (x, y) batches."
            )
        data = target
        target, target_labels = as_arrays(target, max_samples=DATASET_SAMPLES, name="target")
        if n_samples is None and target_labels is not None:
            # all of a small dataset is in memory already; a larger one is read once more, labels only
            counts = label_counts((target, target_labels) if len(target) < DATASET_SAMPLES else data, "target")
    elif n_samples is None and target_labels is not None:
        counts = label_counts((np.zeros(len(target_labels)), target_labels), "target")
    if n_samples is None:
        if counts is None:
            raise ValueError(
                "n_samples=None is not allowed without labelled target data: give the number of labelled "
                "examples per class, or target= a dataset of (x, y) batches (or target_labels=) to count them."
            )
        n_samples = min(counts.values())
        if n_classes is None and len(counts) >= 2:
            n_classes = len(counts)
    return source, target, target_labels, n_samples, n_classes


#: Weights (``load_backbone(..., weights=...)``) learned from ImageNet photos: with ``source=None``,
#: :func:`advise` measures similarity against the 100 photos of :func:`keras_tl.imagenet_photos`.
PHOTO_SOURCE_WEIGHTS = ("imagenet", "imagenet-torchvision", "imagenet-lite0", "hed-bsds500")


def _photo_source_inputs(backbone: keras.Model, target, target_labels, seed: int, max_samples: int = 2000):
    """For ``advise(source=None)`` on an ImageNet backbone: the photos as the source sample, and
    ``(model, source, target, target_labels)`` where ``model`` is ``Preprocess`` + ``backbone`` and both
    samples are RGB ``uint8`` at the backbone's input size (grayscale targets repeated to RGB and resized)."""
    target = np.asarray(target)
    if target.ndim not in (3, 4) or (target.ndim == 4 and target.shape[-1] not in (1, 3)):
        raise ValueError(
            f"target of shape {target.shape} is not allowed with source=None: give images (n, h, w), "
            "(n, h, w, 1) or (n, h, w, 3), 0..255."
        )
    weights = getattr(backbone, "keras_tl_weights", None)
    spec = _registry_spec(backbone)
    if spec is None or not isinstance(weights, str) or weights not in PHOTO_SOURCE_WEIGHTS:
        raise ValueError(
            f"source=None: the source sample is known only for a backbone from keras_tl.load_backbone with "
            f"weights in {list(PHOTO_SOURCE_WEIGHTS)} (then it is the 100 ImageNet-type photos of "
            f"keras_tl.imagenet_photos); {backbone.name!r} has weights={weights!r}. Pass source= (a sample of "
            "the data the backbone was trained on, as inputs of the backbone)."
        )
    height, width = (int(v) for v in backbone.input_shape[1:3])
    if target_labels is not None:
        target_labels = np.asarray(target_labels)
        if len(target_labels) != len(target):
            raise ValueError(f"target_labels has {len(target_labels)} entries for {len(target)} target images.")
    if len(target) > max_samples:  # adapt only what similarity() compares
        keep = np.sort(np.random.default_rng(seed).choice(len(target), size=max_samples, replace=False))
        target = target[keep]
        target_labels = None if target_labels is None else target_labels[keep]
    adapter = image_adapter((height, width))
    parts = [np.asarray(adapter(target[i:i + 256])) for i in range(0, len(target), 256)]
    target = np.clip(np.rint(np.concatenate(parts)), 0, 255).astype(np.uint8)
    source = imagenet_photos(size=height)
    if width != height:
        source = np.clip(np.rint(np.asarray(adapter(source))), 0, 255).astype(np.uint8)
    model = keras.Sequential(
        [keras.Input((height, width, 3)), Preprocess(spec.name, weights=weights if weights in WEIGHT_SOURCES else None),
         backbone],
        name=f"{backbone.name}_on_photos",
    )
    return model, source, target, target_labels
