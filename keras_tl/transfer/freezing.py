"""Freezing and fine-tuning: the fastai verbs (:func:`freeze`, :func:`unfreeze`, :func:`freeze_to`,
:func:`fine_tune`) over Keras's ``layer.trainable``, and :func:`trainable_summary` to see the result.
"""

from __future__ import annotations

import keras
import numpy as np

from keras_tl.core.training import _check_speed_options
from keras_tl.transfer.heads import set_trainable
from keras_tl.transfer.low_rank import lora_summary

__all__ = ["fine_tune", "freeze", "freeze_to", "trainable_summary", "unfreeze"]


# --------------------------------------------------------------------------- #
# Freezing: the fastai verbs over Keras's `trainable` flags
# --------------------------------------------------------------------------- #
def _nested_base(model: keras.Model) -> keras.Model | None:
    """The nested model holding most weights (the base; an input adapter holds none)."""
    subs = [layer for layer in model.layers if isinstance(layer, keras.Model)]
    return max(subs, key=lambda m: len(m.weights)) if subs else None


def _stack(model: keras.Model) -> keras.Model:
    """The model whose layers ``freeze_to`` counts: the nested base if there is one, else ``model``."""
    return _nested_base(model) or model


def _countable_layers(model: keras.Model) -> list:
    return [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]


def _blocks(names: list[str]) -> list[str]:
    blocks = []
    for name in names:
        if "_" in name:
            prefix = name.rsplit("_", 1)[0] if name.count("_") > 1 else name.split("_")[0]
            for cand in (name.split("_")[0], prefix):
                if cand not in blocks and sum(n.startswith(cand + "_") for n in names) > 1:
                    blocks.append(cand)
    return blocks


def _resolve_k(stack: keras.Model, k) -> int:
    """Number of bottom layers meant by ``k``: an int, a fraction, a layer name or a block name."""
    layers = _countable_layers(stack)
    names = [layer.name for layer in layers]
    n = len(layers)
    if isinstance(k, bool):
        raise ValueError(f"k={k!r} is not allowed: give an int, a fraction, a layer name or a block name.")
    if isinstance(k, (int, np.integer)):
        if not 0 <= k <= n:
            raise ValueError(f"k={k} is not allowed: {stack.name!r} has {n} layers, so give 0..{n}.")
        return int(k)
    if isinstance(k, (float, np.floating)):
        if not 0.0 <= k <= 1.0:
            raise ValueError(f"k={k} is not allowed: a fraction of the layers must be in [0, 1].")
        return int(round(k * n))
    if isinstance(k, str):
        if k in names:
            return names.index(k) + 1
        in_block = [i for i, name in enumerate(names) if name.startswith(k + "_")]
        if in_block:
            return max(in_block) + 1
        raise ValueError(
            f"{k!r} is neither a layer nor a block of {stack.name!r}. "
            f"Blocks: {_blocks(names)[:30]}; layers: {names[:8]} ... {names[-3:]}."
        )
    raise ValueError(f"k={k!r} is not allowed: give an int, a fraction, a layer name or a block name.")


def freeze_to(model: keras.Model, k: int | float | str, train_bn: bool = False) -> keras.Model:
    """Freeze the first ``k`` layers and make the rest trainable.

    ``k`` counts the layers of the base when ``model`` holds one (a model built
    with :func:`add_head`; the head always stays trainable), else the layers of
    ``model`` itself. It may be an int (``0`` unfreezes everything), a
    fraction of the layers, a layer name (frozen up to and including it) or a
    block name such as ``"block2"`` (frozen up to the end of that block).

    BatchNormalization: with ``train_bn=False`` (the default, as the Keras
    guide recommends) every BN layer stays frozen, and a frozen BN layer runs in
    inference mode in Keras 3, so its statistics are not disturbed by small
    target batches. fastai's default is the opposite (``train_bn=True``).
    The model is changed in place and returned; call ``compile`` again
    before ``fit``. A bad ``k`` raises before anything is changed.

    Example:
        >>> from keras_tl import build_source_cnn
        >>> model = freeze_to(build_source_cnn(), "block1")
        >>> model.get_layer("block1_conv").trainable, model.get_layer("block2_conv").trainable
        (False, True)
    """
    stack = _stack(model)
    n_frozen = _resolve_k(stack, k)  # validates before changing anything
    set_trainable(model, True)
    for layer in _countable_layers(stack)[:n_frozen]:
        set_trainable(layer, False)
    if not train_bn:
        for layer in _all_layers(stack):
            if isinstance(layer, keras.layers.BatchNormalization):
                layer.trainable = False
    return model


def _all_layers(model: keras.Model) -> list:
    out = []
    for layer in getattr(model, "layers", []):
        out.append(layer)
        out.extend(_all_layers(layer))
    return out


def freeze(model: keras.Model) -> keras.Model:
    """Freeze everything but the head: the base if ``model`` holds one, else all layers but the last.

    Example:
        >>> from keras_tl import build_source_cnn
        >>> model = freeze(build_source_cnn())
        >>> [w.path for w in model.trainable_weights]
        ['predictions/kernel', 'predictions/bias']
    """
    stack = _stack(model)
    k = len(_countable_layers(stack)) - (0 if stack is not model else 1)
    return freeze_to(model, k)


def unfreeze(model: keras.Model, train_bn: bool = False) -> keras.Model:
    """Make every layer trainable (BatchNorm stays frozen unless ``train_bn``); same as ``freeze_to(model, 0)``.

    Example:
        >>> from keras_tl import build_source_cnn
        >>> model = unfreeze(freeze(build_source_cnn()))
        >>> model.get_layer("block1_conv").trainable, model.get_layer("block1_bn").trainable
        (True, False)
    """
    return freeze_to(model, 0, train_bn=train_bn)


def fine_tune(
    model: keras.Model,
    layers: int | float | str = "all",
    learning_rate: float | None = None,
    lr_factor: float = 0.1,
    train_bn: bool = False,
    loss=None,
    metrics=("accuracy",),
    jit_compile: bool | str = "auto",
) -> keras.Model:
    """Unfreeze the top of the base and recompile with a lower learning rate.

    Use it after feature extraction: the head has learned on the frozen base;
    now the top layers adapt too, gently. ``layers`` says how much of the
    base to unfreeze: ``"all"``, the top ``N`` layers (int), a fraction of
    them (float), or a layer or block name to unfreeze *from* (inclusive).
    The new learning rate is ``learning_rate`` if given, else the compiled
    optimizer's rate times ``lr_factor`` (10x lower by default). The
    optimizer keeps its class (a fresh instance); the loss is kept unless
    given. BatchNorm layers stay frozen, so in inference mode (see
    :func:`freeze_to`), unless ``train_bn``. ``jit_compile`` goes to
    ``model.compile`` (XLA; ``"auto"`` is Keras's default). Mixed precision is
    chosen when the model is built (``keras.config.set_dtype_policy``), not here.

    Example:
        >>> from keras_tl import add_head, feature_extractor
        >>> from keras_tl import build_source_cnn
        >>> base = feature_extractor(build_source_cnn(), "flatten")
        >>> model = add_head(base, 3)
        >>> model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
        >>> model = fine_tune(model, layers="block2")
        >>> round(float(model.optimizer.learning_rate), 8), base.get_layer("block2_conv").trainable
        (0.0001, True)
    """
    _check_speed_options(jit_compile, None)
    base = _nested_base(model)
    if base is None:
        raise ValueError(
            f"Model {model.name!r} has no base model inside it to unfreeze. fine_tune works on a "
            "model built with add_head(base, n_classes); for a flat model use freeze_to(model, k)."
        )
    n = len(_countable_layers(base))
    if isinstance(layers, str) and layers == "all":
        n_frozen = 0
    elif isinstance(layers, (int, np.integer)) and not isinstance(layers, bool):
        if not 1 <= layers <= n:
            raise ValueError(f"layers={layers} is not allowed: the base {base.name!r} has {n} layers, so give 1..{n}.")
        n_frozen = n - int(layers)
    elif isinstance(layers, (float, np.floating)):
        if not 0.0 < layers <= 1.0:
            raise ValueError(f"layers={layers} is not allowed: a fraction to unfreeze must be in (0, 1].")
        n_frozen = n - max(1, int(round(layers * n)))
    elif isinstance(layers, str):  # unfreeze from this layer, or from the first layer of this block
        names = [lyr.name for lyr in _countable_layers(base)]
        in_block = [i for i, name in enumerate(names) if name.startswith(layers + "_")]
        if layers not in names and not in_block:
            _resolve_k(base, layers)  # raises the error that lists layers and blocks
        n_frozen = names.index(layers) if layers in names else min(in_block)
    else:
        raise ValueError(f"layers={layers!r} is not allowed: give 'all', an int, a fraction, or a layer or block name.")
    compiled = getattr(model, "optimizer", None) is not None
    if learning_rate is None:
        if not compiled:
            raise ValueError("The model is not compiled, so there is no learning rate to lower: pass learning_rate.")
        if not 0.0 < lr_factor:
            raise ValueError(f"lr_factor={lr_factor!r} is not allowed: give a positive factor (0.1 = 10x lower).")
        learning_rate = float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)) * lr_factor
    if not learning_rate > 0:
        raise ValueError(f"learning_rate={learning_rate!r} is not allowed: give a positive number.")
    if compiled:
        optimizer = model.optimizer.__class__.from_config({**model.optimizer.get_config(), "learning_rate": learning_rate})
        loss = loss if loss is not None else model.loss
    else:
        optimizer = keras.optimizers.Adam(learning_rate)
        loss = loss if loss is not None else "sparse_categorical_crossentropy"
    freeze_to(model, n_frozen, train_bn=train_bn)
    model.compile(optimizer=optimizer, loss=loss, metrics=list(metrics) if metrics else None, jit_compile=jit_compile)
    return model


#: Above this many layers (nested ones included), :func:`trainable_summary` shows one row per block.
SUMMARY_EXPAND_LIMIT = 40


def _block_key(name: str) -> str:
    """A layer's block: the name up to its first ``_``, plus numbered parts (``block_1``, ``conv2_block1``)."""
    parts = name.split("_")
    key = [parts[0]]
    for part in parts[1:]:
        if part.isdigit() and not key[-1][-1:].isdigit():  # block_1_expand, Conv_1_bn
            key.append(part)
        elif part.startswith("block") and len(key) == 1:  # conv2_block1_1_conv (ResNet, DenseNet)
            key.append(part)
            break
        else:
            break
    return "_".join(key)


def trainable_summary(model: keras.Model, expand: bool | None = None) -> str:
    """A table of the layers (nested ones indented): trainable or frozen, and their parameter counts.

    With ``expand=True`` every layer gets a row. With ``expand=False``, consecutive layers of one
    block (the same name up to the first ``_`` plus block numbers: ``block_1_expand``,
    ``block_1_expand_BN`` ... are ``block_1``) share one row, ``state`` ``trainable``, ``frozen``,
    ``-`` (no weights) or ``mixed``; a reused MobileNetV2 fits in 34 rows instead of 165. The default
    (``None``) expands models of at most :data:`SUMMARY_EXPAND_LIMIT` layers.
    A LoRA layer (only its adapters train) shows ``lora``, and a last line counts the adapters
    (:func:`keras_tl.lora_summary`).

    Example:
        >>> from keras_tl import build_source_cnn
        >>> table = trainable_summary(freeze_to(build_source_cnn(), "block1"))
        >>> print([row for row in table.splitlines() if "conv" in row][0])
            3  block1_conv         Conv2D               frozen         288
        >>> print(trainable_summary(freeze_to(build_source_cnn(), "block1"), expand=False).splitlines()[5])
            3  block1 (4 layers)   Conv2D, ...          frozen         416
    """
    rows = [f"{'#':>5}  {'layer':<19} {'type':<20} {'state':<8} {'params':>9}"]
    rows.append("-" * len(rows[0]))
    totals = {"trainable": 0, "frozen": 0}

    def count(m):
        return sum(1 + (count(layer) if isinstance(layer, keras.Model) else 0) for layer in m.layers)

    if expand is None:
        expand = count(model) <= SUMMARY_EXPAND_LIMIT

    def n_params(weights):
        return sum(int(np.prod(w.shape)) for w in weights)

    def state_of(layer):
        if getattr(layer, "lora_enabled", False) and layer.trainable and layer.trainable_weights:
            return "lora"
        return "trainable" if layer.trainable and layer.trainable_weights else ("frozen" if layer.weights else "-")

    def walk(m, depth):
        groups = []  # runs of consecutive layers of one block: [first index, key, layers]
        for i, layer in enumerate(m.layers):
            key = None if expand or isinstance(layer, keras.Model) else _block_key(layer.name)
            if key is not None and groups and groups[-1][1] == key:
                groups[-1][2].append(layer)
            else:
                groups.append([i, key, [layer]])
        for i, key, members in groups:
            layer = members[0]
            if isinstance(layer, keras.Model):
                rows.append(f"{'  ' * depth}{i:>5}  {layer.name:<19} {type(layer).__name__:<20} {'nested':<8} "
                            f"{n_params(layer.weights):>9,}")
                walk(layer, depth + 1)
                continue
            for member in members:
                trainable = n_params(member.trainable_weights)
                totals["trainable"] += trainable
                totals["frozen"] += n_params(member.weights) - trainable
            params = sum(n_params(member.weights) for member in members)
            if len(members) == 1:
                name, kind, state = layer.name, type(layer).__name__, state_of(layer)
            else:
                name = f"{key} ({len(members)} layers)"
                kinds = list(dict.fromkeys(type(member).__name__ for member in members))
                kind = kinds[0] + (", ..." if len(kinds) > 1 else "")
                states = {state_of(member) for member in members} - {"-"}
                state = states.pop() if len(states) == 1 else ("-" if not states else "mixed")
            rows.append(f"{'  ' * depth}{i:>5}  {name:<19} {kind:<20} {state:<8} {params:>9,}")

    walk(model, 0)
    rows.append(f"trainable parameters: {totals['trainable']:,}; frozen (incl. BN statistics): {totals['frozen']:,}")
    if any(getattr(layer, "lora_enabled", False) for layer in model._flatten_layers()):
        rows.append(str(lora_summary(model)))
    return "\n".join(rows)
