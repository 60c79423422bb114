"""LoRA: train a few low-rank adapters on a frozen pretrained model instead of all its weights.

Hu et al. ("LoRA: Low-Rank Adaptation of Large Language Models", 2021): a frozen
kernel ``W`` is used as ``W + (alpha / rank) * A @ B`` where only the small ``A``
(``d_in x rank``) and ``B`` (``rank x d_out``, zeros at the start, so the model
starts exactly as the pretrained one) train. A thin layer over Keras's own
``layer.enable_lora(rank)``, which Keras 3 offers on ``Dense``, ``EinsumDense``,
``Embedding`` and ``Conv1D``/``Conv2D``/``Conv3D`` (not on depthwise, separable or
transposed convolutions):

* :func:`lora` enables LoRA on the layers you name (names, a layer type, a
  regex for a block, ``"attention"`` or ``"pointwise"``), nested models
  included, and freezes everything else except the new head;
* :func:`lora_summary` counts what trains: LoRA parameters, head parameters, frozen ones;
* :func:`merge_lora` returns a plain model (no LoRA) with ``W + (alpha/rank) A B`` as its kernels;
* :func:`save_lora_weights` / :func:`load_lora_weights` write and read the adapters and the head
  alone, a small ``.npz`` file, with a fingerprint of the frozen base checked on load.

A ``.keras`` file of a LoRA model loads with ``safe_mode=True``: each LoRA layer's config holds
``lora_rank`` and ``lora_alpha``; Keras saves the merged kernel and zero adapters.

Example:
    >>> import keras, numpy as np
    >>> keras.utils.set_random_seed(0)
    >>> model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, name="hidden"),
    ...                           keras.layers.Dense(3, activation="softmax", name="head")])
    >>> model = lora(model, rank=2, layers=["hidden"])
    >>> s = lora_summary(model)
    >>> s.lora_params, s.head_params, s.frozen_params  # 8*2 + 2*16; 16*3 + 3; 8*16 + 16
    (48, 51, 144)
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import numpy as np

from keras_tl.core.checkpoints import atomic_write

__all__ = ["LORA_KINDS", "LoraSummary", "load_lora_weights", "lora", "lora_summary", "merge_lora", "save_lora_weights"]

#: The Keras layer types that have ``enable_lora`` (keras 3.15).
LORA_KINDS: tuple[type, ...] = (
    keras.layers.Dense,
    keras.layers.EinsumDense,
    keras.layers.Embedding,
    keras.layers.Conv1D,
    keras.layers.Conv2D,
    keras.layers.Conv3D,
)
_KIND_NAMES = ", ".join(kind.__name__ for kind in LORA_KINDS)
_ATTENTION_NAMES = {"query", "key", "value", "query_dense", "key_dense", "value_dense"}
_FORMAT = "keras_tl.lora/1"


# --------------------------------------------------------------------------- #
# Walking a model
# --------------------------------------------------------------------------- #
def _children(layer: keras.layers.Layer) -> list:
    return list(layer._flatten_layers(include_self=False, recursive=False))


def _walk(model: keras.layers.Layer, parent: Any = None) -> Iterator[tuple[keras.layers.Layer, Any]]:
    """Every layer below ``model`` (nested models and sub-layers too), in order, with its parent."""
    seen: set[int] = set()

    def rec(layer, parent):
        for child in _children(layer):
            if id(child) in seen:
                continue
            seen.add(id(child))
            yield child, layer
            yield from rec(child, child)

    yield from rec(model, parent)


def _leaves(model: keras.layers.Layer) -> list:
    return [layer for layer, _ in _walk(model) if not _children(layer)]


def _supports(layer: Any) -> bool:
    return isinstance(layer, LORA_KINDS)


def _adapted_weight(layer: Any) -> Any:
    return layer._embeddings if isinstance(layer, keras.layers.Embedding) else layer._kernel


def _max_rank(layer: Any) -> int:
    shape = tuple(_adapted_weight(layer).shape)
    return int(min(np.prod(shape[:-1]), shape[-1]))


def _is_pointwise(layer: Any) -> bool:
    return isinstance(layer, (keras.layers.Conv1D, keras.layers.Conv2D, keras.layers.Conv3D)) and all(
        k == 1 for k in layer.kernel_size
    )


def _is_attention(layer: Any, parent: Any) -> bool:
    return _supports(layer) and layer.name in _ATTENTION_NAMES and (
        isinstance(parent, keras.layers.MultiHeadAttention) or "attention" in type(parent).__name__.lower()
        or "attention" in getattr(parent, "name", "")
    )


def _default_head(model: keras.layers.Layer) -> list:
    dense = [layer for layer in _leaves(model) if isinstance(layer, keras.layers.Dense)]
    return dense[-1:]


def _select(model, layers, within) -> list:
    """The layers ``layers`` names (checked: supported, not yet LoRA-enabled)."""
    pairs = list(_walk(model))
    if within is not None:
        pattern = re.compile(within)
        pairs = [(layer, parent) for layer, parent in pairs if pattern.match(layer.name)]
    if callable(layers):
        chosen = [layer for layer, _ in pairs if layers(layer)]
    elif isinstance(layers, (list, tuple)):
        if not layers or not all(isinstance(name, str) for name in layers):
            raise ValueError(f"layers={layers!r} is not allowed: give layer names (strings), a layer type, "
                             "a regex, 'attention' or 'pointwise'.")
        by_name = {}
        for layer, _ in pairs:
            by_name.setdefault(layer.name, []).append(layer)
        missing = [name for name in layers if name not in by_name]
        if missing:
            raise ValueError(f"No layer named {missing} in model {model.name!r}; some layer names: "
                             f"{[layer.name for layer, _ in pairs][:12]}.")
        chosen = [layer for name in layers for layer in by_name[name]]
        unsupported = [f"{layer.name} ({type(layer).__name__})" for layer in chosen if not _supports(layer)]
        if unsupported:
            raise ValueError(f"Layers {unsupported} do not support LoRA; the kinds that do: {_KIND_NAMES}.")
    elif isinstance(layers, str):
        kinds = {type(layer).__name__ for layer, _ in pairs}
        if layers == "attention":
            chosen = [layer for layer, parent in pairs if _is_attention(layer, parent)]
        elif layers == "pointwise":
            chosen = [layer for layer, _ in pairs if _is_pointwise(layer)]
        elif layers in kinds or hasattr(keras.layers, layers):
            chosen = [layer for layer, _ in pairs if type(layer).__name__ == layers]
            if chosen and not _supports(chosen[0]):
                raise ValueError(f"Layers of type {layers} do not support LoRA; the kinds that do: {_KIND_NAMES}.")
        else:
            try:
                pattern = re.compile(layers)
            except re.error as error:
                raise ValueError(f"layers={layers!r} is neither a layer type, 'attention', 'pointwise' "
                                 f"nor a valid regex ({error}).") from None
            chosen = [layer for layer, _ in pairs if pattern.match(layer.name) and _supports(layer)]
    else:
        raise ValueError(f"layers={layers!r} is not allowed: give a list of layer names, a layer type such as "
                         "'Dense', a regex such as 'block_16_', 'attention', 'pointwise' or a callable.")
    chosen = list({id(layer): layer for layer in chosen}.values())
    chosen = [layer for layer in chosen if _supports(layer)]
    if not chosen:
        where = "" if within is None else f" within {within!r}"
        raise ValueError(f"layers={layers!r}{where} matched no layer that supports LoRA ({_KIND_NAMES}) in model "
                         f"{model.name!r}.")
    return chosen


# --------------------------------------------------------------------------- #
# lora
# --------------------------------------------------------------------------- #
def lora(
    model: keras.Model,
    rank: int,
    layers: str | Sequence[str] | Callable[[keras.layers.Layer], bool],
    alpha: float | None = None,
    train: Sequence[str] | None = None,
    within: str | None = None,
) -> keras.Model:
    """Enable LoRA of ``rank`` on the layers ``layers`` names; freeze everything else but the head.

    ``layers`` is a list of layer names, a layer type (``"Dense"``, ``"Conv2D"``, ``"EinsumDense"``),
    ``"attention"`` (the query/key/value projections of attention layers, as in BERT and KerasHub
    transformers), ``"pointwise"`` (1x1 convolutions, as in MobileNetV2's expand/project layers), a
    regex matched against layer names (``"block_16_"``: the supported layers of that block) or a
    callable ``layer -> bool``. ``within`` (a regex) keeps only layers whose name it matches, e.g.
    ``layers="pointwise", within="block_1[4-6]_|Conv_1"``. Nested models are walked.

    ``train`` names layers that train in full (default: the model's last ``Dense``, the new head);
    they never get LoRA. Every other layer is frozen (BatchNorm runs in inference mode); in a LoRA
    layer only ``lora_kernel_a`` and ``lora_kernel_b`` train, not its kernel or bias. ``alpha``
    scales the update by ``alpha / rank`` (default ``rank``: a scale of 1). The model is changed in
    place and returned; compile it afterwards. All checks run before anything changes.

    Example:
        >>> import keras
        >>> model = keras.Sequential([keras.Input((4, 4, 8)), keras.layers.Conv2D(16, 1, name="pw"),
        ...     keras.layers.Conv2D(16, 3, name="conv"), keras.layers.GlobalAveragePooling2D(),
        ...     keras.layers.Dense(2, name="head")])
        >>> model = lora(model, 4, layers="pointwise")
        >>> [(w.path.split("/")[-2], w.name) for w in model.trainable_weights]
        [('pw', 'lora_kernel_a'), ('pw', 'lora_kernel_b'), ('head', 'kernel'), ('head', 'bias')]
    """
    if isinstance(rank, bool) or not isinstance(rank, (int, np.integer)) or rank < 1:
        raise ValueError(f"rank={rank!r} is not allowed: the LoRA rank is a whole number >= 1.")
    rank = int(rank)
    if alpha is not None and (isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not alpha > 0):
        raise ValueError(f"alpha={alpha!r} is not allowed: give a positive number (or None for alpha = rank).")
    if not isinstance(model, keras.layers.Layer):
        raise ValueError(f"model={type(model).__name__} is not allowed: give a keras.Model.")
    if not model.built:
        raise ValueError(f"Model {model.name!r} is not built; call it on data or give it an Input first.")
    head = _head_layers(model, train)
    head_ids = {id(layer) for layer in head}
    targets = [layer for layer in _select(model, layers, within) if id(layer) not in head_ids]
    if not targets:
        raise ValueError(f"layers={layers!r} matched only the head {[layer.name for layer in head]}; "
                         "the head trains in full, LoRA goes on the base.")
    twice = [layer.name for layer in targets if getattr(layer, "lora_enabled", False)]
    if twice:
        raise ValueError(f"LoRA is already enabled on {twice}; Keras allows it once per layer. Start again "
                         "from the model without LoRA (or merge_lora(model)).")
    unbuilt = [layer.name for layer in targets if not layer.built]
    if unbuilt:
        raise ValueError(f"Layers {unbuilt} are not built; build the model before enabling LoRA.")
    too_big = [f"{layer.name} (at most {_max_rank(layer)})" for layer in targets if rank > _max_rank(layer)]
    if too_big:
        raise ValueError(f"rank={rank} is above the dimensions of {too_big}: a rank-r update of an m x n "
                         "kernel needs r <= min(m, n).")
    constrained = [layer.name for layer in targets if getattr(layer, "kernel_constraint", None)]
    if constrained:
        raise ValueError(f"Layers {constrained} have a kernel_constraint, which LoRA does not support.")

    # Every container on the way down must be trainable, or its frozen flag hides the adapters below it
    # (a KerasHub classifier built with its transformer blocks frozen, a base frozen with freeze()):
    # setting model.trainable does not reach a sub-layer that is already marked frozen.
    model.trainable = True
    for layer, _ in _walk(model):
        layer.trainable = True
    for layer in targets:
        layer.enable_lora(rank, lora_alpha=alpha)
    target_ids = {id(layer) for layer in targets}
    for layer in _leaves(model):
        if id(layer) not in target_ids and id(layer) not in head_ids:
            layer.trainable = False
    keep = {id(layer.lora_kernel_a) for layer in targets} | {id(layer.lora_kernel_b) for layer in targets}
    keep |= {id(v) for layer in head for v in layer.weights}
    for variable in model.trainable_weights:
        if id(variable) not in keep:
            variable.trainable = False
    return model


def _head_layers(model, train) -> list:
    """The layers that train in full (``train``: names, or ``None`` for the last Dense), with their sub-layers."""
    if train is None:
        head = _default_head(model)
    elif isinstance(train, (list, tuple)) and all(isinstance(name, str) for name in train):
        all_layers = [layer for layer, _ in _walk(model)]
        names = {layer.name for layer in all_layers}
        missing = [name for name in train if name not in names]
        if missing:
            raise ValueError(f"train={list(train)!r}: no layer named {missing} in model {model.name!r}.")
        head = [layer for layer in all_layers if layer.name in set(train)]
    else:
        raise ValueError(f"train={train!r} is not allowed: give a list of layer names, or None for the last Dense.")
    head_ids = {id(layer) for layer in head}
    for sub in list(head):
        head.extend(layer for layer, _ in _walk(sub) if id(layer) not in head_ids)
        head_ids.update(id(layer) for layer in head)
    return head


# --------------------------------------------------------------------------- #
# Counting
# --------------------------------------------------------------------------- #
@dataclass
class LoraSummary:
    """What trains in a LoRA model: adapter parameters, the rest of the trainable ones, frozen ones.

    ``full_params`` is every weight (BatchNorm statistics included) without the adapters: what full
    fine-tuning would update at most. ``layers`` names the LoRA layers, ``ranks`` their ranks.
    """

    lora_params: int
    head_params: int
    frozen_params: int
    full_params: int
    layers: list[str] = field(default_factory=list)
    ranks: list[int] = field(default_factory=list)

    @property
    def trainable_fraction(self) -> float:
        """Trainable parameters (adapters and head) as a fraction of ``full_params``."""
        return (self.lora_params + self.head_params) / max(self.full_params, 1)

    def __str__(self) -> str:
        ranks = sorted(set(self.ranks))
        return (f"LoRA: {self.lora_params:,} parameters in {len(self.layers)} layers (rank {ranks}); "
                f"head and other trainable: {self.head_params:,}; frozen: {self.frozen_params:,} "
                f"({100 * self.trainable_fraction:.2f}% of {self.full_params:,} train)")


def _n(weights) -> int:
    return sum(int(np.prod(w.shape)) for w in weights)


def lora_summary(model: keras.Model) -> LoraSummary:
    """Count a model's LoRA parameters, its other trainable ones (the head) and its frozen ones.

    Example:
        >>> import keras
        >>> model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(4), keras.layers.Dense(2)])
        >>> print(lora_summary(lora(model, 1, layers=[model.layers[0].name])))
        LoRA: 12 parameters in 1 layers (rank [1]); head and other trainable: 10; frozen: 36 (47.83% of 46 train)
    """
    if not isinstance(model, keras.layers.Layer):
        raise ValueError(f"model={type(model).__name__} is not allowed: give a keras.Model.")
    lora_layers = [layer for layer, _ in _walk(model) if getattr(layer, "lora_enabled", False)]
    lora_ids = {id(v) for layer in lora_layers for v in (layer.lora_kernel_a, layer.lora_kernel_b)}
    trainable = model.trainable_weights
    lora_params = _n(v for v in trainable if id(v) in lora_ids)
    head_params = _n(v for v in trainable if id(v) not in lora_ids)
    total = _n(model.weights)
    all_lora = _n(v for v in model.weights if id(v) in lora_ids)
    return LoraSummary(lora_params, head_params, total - lora_params - head_params, total - all_lora,
                       [layer.name for layer in lora_layers], [int(layer.lora_rank) for layer in lora_layers])


# --------------------------------------------------------------------------- #
# Merging
# --------------------------------------------------------------------------- #
def _strip_lora(config: Any) -> Any:
    if isinstance(config, dict):
        return {k: _strip_lora(v) for k, v in config.items() if k not in ("lora_rank", "lora_alpha")}
    if isinstance(config, list):
        return [_strip_lora(v) for v in config]
    return config


def _plain_values(layer: Any) -> list:
    """The layer's weights without its adapters, the adapted kernel merged: what a plain layer holds."""
    if not getattr(layer, "lora_enabled", False):
        return [v.numpy() if hasattr(v, "numpy") else keras.ops.convert_to_numpy(v) for v in layer.weights]
    adapted = _adapted_weight(layer)
    merged = layer.embeddings if isinstance(layer, keras.layers.Embedding) else layer.kernel
    adapters = {id(layer.lora_kernel_a), id(layer.lora_kernel_b)}
    return [keras.ops.convert_to_numpy(merged if v is adapted else v) for v in layer.weights if id(v) not in adapters]


def merge_lora(model: keras.Model) -> keras.Model:
    """A plain copy of a LoRA model: each kernel ``W + (alpha / rank) * A @ B``, no adapters left.

    The copy (built from the config without ``lora_rank``) predicts what ``model`` predicts and
    runs as fast as the original model; ``model`` is left as it is. The copy is fully trainable.

    Example:
        >>> import keras, numpy as np
        >>> model = lora(keras.Sequential([keras.Input((3,)), keras.layers.Dense(4), keras.layers.Dense(2)]), 2,
        ...              layers="Dense", train=[])
        >>> plain = merge_lora(model)
        >>> sum("lora" in w.name for w in plain.weights), len(plain.weights)
        (0, 4)
    """
    if not isinstance(model, keras.Model):
        raise ValueError(f"model={type(model).__name__} is not allowed: give a keras.Model.")
    if not any(getattr(layer, "lora_enabled", False) for layer, _ in _walk(model)):
        raise ValueError(f"Model {model.name!r} has no LoRA layer; call keras_tl.lora(model, rank, ...) first.")
    serialized = _strip_lora(keras.saving.serialize_keras_object(model))
    plain = keras.saving.deserialize_keras_object(serialized)
    old_layers = [layer for layer, _ in _walk(model) if layer.weights and not _children(layer)]
    new_layers = [layer for layer, _ in _walk(plain) if layer.weights and not _children(layer)]
    if len(old_layers) != len(new_layers):
        raise ValueError(f"Model {model.name!r} could not be rebuilt from its config with the same layers "
                         f"({len(old_layers)} vs {len(new_layers)} layers with weights).")
    for src, dst in zip(old_layers, new_layers):
        values = _plain_values(src)
        if [tuple(v.shape) for v in values] != [tuple(w.shape) for w in dst.weights]:
            raise ValueError(f"Layer {src.name!r} does not match its rebuilt copy {dst.name!r}.")
        for variable, value in zip(dst.weights, values):
            variable.assign(value)
    plain.trainable = True
    return plain


# --------------------------------------------------------------------------- #
# Adapter files
# --------------------------------------------------------------------------- #
def _fingerprint(model: keras.Model) -> str:
    """A short hash of the frozen weights' shapes and first values: which base the adapters belong to."""
    digest = hashlib.sha256()
    for variable in model.non_trainable_weights:
        value = np.asarray(keras.ops.convert_to_numpy(variable), dtype="float32")
        digest.update(str(value.shape).encode())
        digest.update(np.round(value.ravel()[:16], 5).tobytes())
    return digest.hexdigest()[:16]


def _trainable_entries(model: keras.Model) -> list[dict]:
    return [{"name": v.path, "shape": list(v.shape)} for v in model.trainable_weights]


def save_lora_weights(model: keras.Model, path: str | Path) -> Path:
    """Write the trainable weights alone (adapters and head) to ``path`` (a ``.npz`` file).

    The file also holds a fingerprint of the frozen base, checked by
    :func:`load_lora_weights`. Returns the path. Written atomically; no pickle inside.

    Example:
        >>> import keras, tempfile
        >>> model = lora(keras.Sequential([keras.Input((64,)), keras.layers.Dense(64), keras.layers.Dense(2)]), 1,
        ...              layers="Dense")
        >>> path = save_lora_weights(model, Path(tempfile.mkdtemp()) / "adapter.npz")
        >>> path.stat().st_size < 4_000  # 128 adapter + 130 head parameters, the 4,160 frozen ones not saved
        True
    """
    if not isinstance(model, keras.Model):
        raise ValueError(f"model={type(model).__name__} is not allowed: give a keras.Model.")
    if not model.trainable_weights:
        raise ValueError(f"Model {model.name!r} has no trainable weights to save.")
    path = Path(path)
    if path.suffix != ".npz":
        raise ValueError(f"path={str(path)!r} is not allowed: the adapter file name ends in .npz.")
    meta = {"format": _FORMAT, "fingerprint": _fingerprint(model), "weights": _trainable_entries(model),
            "lora_layers": lora_summary(model).layers}
    arrays = {f"w{i}": keras.ops.convert_to_numpy(v) for i, v in enumerate(model.trainable_weights)}

    def write(tmp):
        buffer = io.BytesIO()
        np.savez(buffer, meta=np.array(json.dumps(meta)), **arrays)
        Path(tmp).write_bytes(buffer.getvalue())

    return atomic_write(path, write)


def load_lora_weights(model: keras.Model, path: str | Path) -> keras.Model:
    """Load adapters and head written by :func:`save_lora_weights` into ``model``.

    ``model`` must be the same base with LoRA enabled the same way (:func:`lora` with the same
    arguments). A different base (fingerprint), other trainable weights or shapes raise
    ``ValueError`` and leave the model unchanged.

    Example:
        >>> import keras, tempfile
        >>> def make():
        ...     keras.utils.set_random_seed(0)
        ...     return lora(keras.Sequential([keras.Input((8,)), keras.layers.Dense(8), keras.layers.Dense(2)]), 2,
        ...                 layers="Dense")
        >>> trained = make()
        >>> _ = trained.layers[0].lora_kernel_b.assign(np.ones((2, 8)))
        >>> path = save_lora_weights(trained, Path(tempfile.mkdtemp()) / "a.npz")
        >>> fresh = load_lora_weights(make(), path)
        >>> float(np.abs(fresh.layers[0].lora_kernel_b.numpy() - 1).max())
        0.0
    """
    if not isinstance(model, keras.Model):
        raise ValueError(f"model={type(model).__name__} is not allowed: give a keras.Model.")
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"path={str(path)!r} is not a file.")
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            arrays = [data[f"w{i}"] for i in range(len(meta["weights"]))]
    except (ValueError, KeyError, OSError) as error:
        raise ValueError(f"{str(path)!r} is not an adapter file written by save_lora_weights ({error}).") from None
    if meta.get("format") != _FORMAT:
        raise ValueError(f"{str(path)!r} is not an adapter file written by save_lora_weights.")
    fingerprint = _fingerprint(model)
    if meta["fingerprint"] != fingerprint:
        raise ValueError(f"The adapters in {str(path)!r} were trained on a different base (fingerprint "
                         f"{meta['fingerprint']}, this model's {fingerprint}); the model is unchanged.")
    weights = model.trainable_weights
    want = [tuple(entry["shape"]) for entry in meta["weights"]]
    got = [tuple(v.shape) for v in weights]
    if want != got:
        raise ValueError(f"{str(path)!r} holds {len(want)} trainable weights of shapes {want[:4]}..., this model has "
                         f"{len(got)} of shapes {got[:4]}...: enable LoRA with the same layers and rank first; "
                         "the model is unchanged.")
    for variable, value in zip(weights, arrays):
        variable.assign(value)
    return model
