"""Transfer strategies as thin functions over ``keras.Model``.

Every function here takes and returns real Keras models, so what it did can be
checked with ``model.summary()`` and ``layer.trainable``.

* :func:`feature_extractor` -- cut a trained model at a named layer and freeze it.
* :func:`add_head` -- put a new classifier for ``n_classes`` on top of a base.
* :func:`architecture_only` -- the same network with fresh random weights: the
  baseline every comparison needs.
* :func:`freeze`, :func:`unfreeze`, :func:`freeze_to`, :func:`fine_tune` -- the
  fastai verbs, over Keras's ``layer.trainable``; :func:`trainable_summary` shows the result.
* :func:`replace_head` -- a new classifier for a new number of classes.
* :func:`train_head_on_features` -- feature extraction with the features computed once;
  :func:`fit_logistic_regression` -- the same features into scikit-learn.

Example:
    >>> from keras_tl import source_model, strategies
    >>> source = source_model.build_source_cnn(n_classes=5)
    >>> base = strategies.feature_extractor(source, "flatten")
    >>> model = strategies.add_head(base, n_classes=3)
    >>> model.output_shape, base.trainable
    ((None, 3), False)
"""

from __future__ import annotations

import contextlib

import keras
import numpy as np

from .data_input import _batches, check_finite, is_dataset
from .validation import check_images, check_labels, check_model_input, check_pixel_scale, check_xy

__all__ = [
    "add_head", "architecture_only", "extract_features", "feature_extractor", "fine_tune", "fit_logistic_regression",
    "freeze", "freeze_to", "replace_head", "set_trainable", "train_head_on_features", "trainable_summary", "unfreeze",
]


def set_trainable(model: keras.Layer, trainable: bool) -> keras.Layer:
    """Set ``trainable`` on ``model`` and on every layer inside it, nested models included.

    Keras propagates ``model.trainable = value`` to sublayers only when the
    flag changes, so a clone of a frozen model can report ``trainable=True``
    while its layers stay frozen. This sets each layer explicitly.

    Example:
        >>> from keras_tl.source_model import build_source_cnn
        >>> model = set_trainable(build_source_cnn(), False)
        >>> len(model.trainable_weights)
        0
    """
    model.trainable = trainable
    for layer in getattr(model, "layers", []):
        set_trainable(layer, trainable)
    return model


def feature_extractor(model: keras.Model, layer: str | None = None, trainable: bool = False) -> keras.Model:
    """A model from ``model``'s input to the output of ``layer``, frozen by default.

    The returned model shares its layers (and weights) with ``model``. With
    ``layer=None`` the whole model is the base (for a Keras Applications
    backbone built with ``include_top=False``).

    Example:
        >>> from keras_tl.source_model import build_source_cnn
        >>> base = feature_extractor(build_source_cnn(), "flatten")
        >>> base.output_shape
        (None, 3136)
    """
    if layer is None:
        base = model
    else:
        names = [lyr.name for lyr in model.layers]
        if layer not in names:
            raise ValueError(f"Unknown layer {layer!r} in model {model.name!r}; layers are: {names}.")
        base = keras.Model(model.inputs, model.get_layer(layer).output, name=f"{model.name}_base")
    return set_trainable(base, trainable)


def add_head(
    base: keras.Model,
    n_classes: int,
    dropout: float = 0.0,
    name: str | None = None,
    input_shape: tuple[int, ...] | None = None,
    preprocessing: list | None = None,
    seed: int | None = None,
) -> keras.Model:
    """Put a new softmax classifier for ``n_classes`` on ``base``.

    Feature maps (4-D outputs) are pooled with ``GlobalAveragePooling2D``
    first. The base is called as a layer; whether it trains is its own
    ``trainable`` flag. A frozen ``BatchNormalization`` layer always runs in
    inference mode in Keras 3, so a frozen base never updates its statistics.
    ``preprocessing`` layers (e.g. ``[image_adapter(32), Preprocess("VGG16")]``)
    run before the base, on inputs of ``input_shape`` (default: the base's).
    ``seed`` (optional) seeds the new head's weights (``keras.utils.set_random_seed``).

    Example:
        >>> from keras_tl.backbones import load_backbone
        >>> base = load_backbone("MobileNetV2", weights=None, input_shape=(32, 32, 3), trainable=False)
        >>> add_head(base, n_classes=2).output_shape
        (None, 2)
    """
    if not isinstance(n_classes, int) or n_classes < 2:
        raise ValueError(f"n_classes={n_classes!r} is not allowed: a classifier needs at least 2 classes.")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout={dropout!r} is not allowed: give a rate in [0, 1).")
    if seed is not None:
        keras.utils.set_random_seed(seed)
    inputs = keras.Input(shape=tuple(input_shape or base.input_shape[1:]), name="image")
    x = inputs
    for layer in preprocessing or []:
        x = layer(x)
    x = base(x)
    if len(x.shape) == 4:
        x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    if dropout:
        x = keras.layers.Dropout(dropout, name="head_dropout")(x)
    outputs = keras.layers.Dense(n_classes, activation="softmax", name="head")(x)
    return keras.Model(inputs, outputs, name=name or f"{base.name}_with_head")


def architecture_only(model: keras.Model, seed: int | None = None, trainable: bool = True) -> keras.Model:
    """The same architecture as ``model`` with freshly initialised weights.

    Uses ``keras.models.clone_model``, which rebuilds every layer from its
    config and so draws new weights from each layer's initializer. Nothing is
    shared with ``model``. Pass ``seed`` for a reproducible initialisation.

    Example:
        >>> from keras_tl.source_model import build_source_cnn
        >>> trained = build_source_cnn()
        >>> fresh = architecture_only(trained, seed=0)
        >>> fresh.count_params() == trained.count_params()
        True
    """
    if seed is not None:
        keras.utils.set_random_seed(seed)
    return set_trainable(keras.models.clone_model(model), trainable)


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
        >>> from keras_tl.source_model import build_source_cnn
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
        >>> from keras_tl.source_model import build_source_cnn
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
        >>> from keras_tl.source_model import build_source_cnn
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
        >>> from keras_tl.source_model import build_source_cnn
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
        >>> from keras_tl.source_model import build_source_cnn
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
        from .low_rank import lora_summary

        rows.append(str(lora_summary(model)))
    return "\n".join(rows)


def replace_head(
    model: keras.Model, n_classes: int, cut_at: str | None = None, name: str | None = None, seed: int | None = None
) -> keras.Model:
    """Swap the classifier of a full model for a new ``n_classes`` softmax.

    The course example: a 1000-class ImageNet model becomes a 2-class one.
    The model is cut at ``cut_at`` (default: the input of its last layer) and
    a fresh ``Dense(n_classes, softmax)`` named ``head`` goes on top; every
    other layer is shared with ``model``. ``seed`` (optional) seeds the new head's weights.

    Example:
        >>> vgg = keras.applications.VGG16(weights=None, input_shape=(32, 32, 3))
        >>> vgg.output_shape, replace_head(vgg, 2).output_shape
        ((None, 1000), (None, 2))
    """
    if not isinstance(n_classes, int) or n_classes < 2:
        raise ValueError(f"n_classes={n_classes!r} is not allowed: a classifier needs at least 2 classes.")
    names = [layer.name for layer in model.layers]
    if cut_at is None:
        if len(names) < 2:
            raise ValueError(f"Model {model.name!r} has no layer below its head to cut at.")
        cut_at = names[-2]
    if cut_at not in names:
        raise ValueError(f"Unknown layer {cut_at!r} in model {model.name!r}; layers are: {names}.")
    if seed is not None:
        keras.utils.set_random_seed(seed)
    features = model.get_layer(cut_at).output
    outputs = keras.layers.Dense(n_classes, activation="softmax", name="head")(features)
    return keras.Model(model.inputs, outputs, name=name or f"{model.name}_{n_classes}_classes")


#: The values the training helpers accept for ``mixed_precision``.
MIXED_PRECISION_POLICIES = (None, "mixed_float16", "mixed_bfloat16")


def _check_speed_options(jit_compile, mixed_precision) -> None:
    if not (isinstance(jit_compile, bool) or jit_compile == "auto"):
        raise ValueError(f"jit_compile={jit_compile!r} is not allowed: give True, False or 'auto' (Keras's default).")
    if mixed_precision not in MIXED_PRECISION_POLICIES:
        raise ValueError(
            f"mixed_precision={mixed_precision!r} is not allowed: give one of {MIXED_PRECISION_POLICIES} "
            "('mixed_float16' on GPUs, 'mixed_bfloat16' on TPUs and recent CPUs)."
        )


@contextlib.contextmanager
def _dtype_policy(mixed_precision: str | None):
    """Build layers under Keras's ``mixed_precision`` policy, then restore the previous global policy."""
    if mixed_precision is None:
        yield
        return
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(mixed_precision)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


# --------------------------------------------------------------------------- #
# Feature extraction: the cached-features fast path, and logistic regression
# --------------------------------------------------------------------------- #
def extract_features(base: keras.Model, x, batch_size: int = 256, verbose: int | str = 0) -> np.ndarray:
    """Run ``base`` once over ``x`` (``base.predict``) and return the features as a numpy array.

    ``x``: an array of inputs, or a finite ``tf.data.Dataset`` / ``keras.utils.PyDataset`` of
    ``x`` or ``(x, y)`` batches (passed to ``predict``; labels are ignored, ``batch_size`` is the dataset's).

    Example:
        >>> from keras_tl.source_model import build_source_cnn
        >>> base = feature_extractor(build_source_cnn(), "flatten")
        >>> extract_features(base, np.zeros((3, 28, 28))).shape
        (3, 3136)
    """
    if is_dataset(x):
        check_finite(x, "x")
        return np.asarray(base.predict(x, verbose=verbose))
    x = check_model_input(base, x)
    return np.asarray(base.predict(x, batch_size=batch_size, verbose=verbose))


def _features_and_labels(base: keras.Model, data, name: str, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """One pass over a dataset of ``(x, y)`` batches: the base's features of each batch, and its labels."""
    features, labels = [], []
    for i, (xb, yb) in enumerate(_batches(data, name)):
        if yb is None:
            raise ValueError(
                f"{name} yields x batches without labels; allowed: a dataset of (x, y) batches here "
                "(e.g. image_dataset_from_directory(..., labels='inferred'))."
            )
        xb = check_model_input(base, xb, f"{name} batch {i}")
        features.append(np.asarray(base.predict_on_batch(xb)))
        labels.append(yb)
    if not features:
        raise ValueError(f"{name} yields no samples; allowed: a dataset of at least one non-empty batch.")
    y = check_labels(np.concatenate(labels), f"{name} labels", n_classes=n_classes)
    return np.concatenate(features), y


def train_head_on_features(
    base: keras.Model,
    x,
    y,
    n_classes: int,
    validation_data: tuple | None = None,
    epochs: int = 10,
    batch_size: int = 32,
    learning_rate: float = 1e-3,
    dropout: float = 0.0,
    seed: int = 0,
    verbose: int | str = "auto",
    callbacks: list | None = None,
    jit_compile: bool | str = "auto",
    mixed_precision: str | None = None,
    checkpoint_dir: str | None = None,
) -> tuple[keras.Model, keras.callbacks.History]:
    """Feature extraction, fast: run the frozen base once, then train only the head on the cached features.

    Builds ``add_head(base, n_classes)`` and a head-only model that *shares*
    its head layers, computes the features of ``x`` (and of the validation
    images) once with ``base.predict``, and fits the head-only model on them.
    The returned full model (base + trained head, compiled) takes images.

    ``x`` may be a finite ``tf.data.Dataset`` or ``keras.utils.PyDataset`` of ``(x, y)`` batches
    (e.g. from ``keras.utils.image_dataset_from_directory``), with ``y=None``: the features are
    computed batch by batch in one pass, the labels collected alongside. ``validation_data`` may
    be such a dataset too.

    Valid only when the base is frozen and inputs are not augmented: then the
    base gives the same features every epoch, and this equals training
    ``add_head(base)`` on the images, minus the repeated forward passes.
    A base with trainable weights raises ``ValueError``. ``callbacks`` go to
    the head's ``fit`` (e.g. ``keras.callbacks.EarlyStopping`` on ``val_accuracy``).
    With ``checkpoint_dir`` the head trains through :func:`keras_tl.fit_resumable`: a run
    interrupted between epochs resumes from its last completed epoch when called again
    (every epoch reseeded from ``(seed, epoch)``).

    Speed options: ``jit_compile`` goes to ``compile`` (XLA; ``"auto"`` is
    Keras's default); ``mixed_precision`` (``"mixed_float16"`` on GPUs,
    ``"mixed_bfloat16"`` on TPUs) builds the head under that Keras dtype policy
    (the global policy is restored afterwards; the base keeps its own). Called
    inside a ``tf.distribute`` strategy's ``scope()``, the head is created there
    and trains on every replica.

    Example:
        >>> from keras_tl.source_model import build_source_cnn
        >>> base = feature_extractor(build_source_cnn(), "flatten")
        >>> x, y = np.zeros((8, 28, 28)), np.arange(8) % 2
        >>> model, history = train_head_on_features(base, x, y, n_classes=2, epochs=1, verbose=0)
        >>> model.output_shape
        (None, 2)
    """
    if base.trainable_weights:
        raise ValueError(
            f"Base {base.name!r} has trainable weights: cached features are only valid for a frozen base. "
            "Call set_trainable(base, False) first, or train add_head(base, ...) on the images."
        )
    if not learning_rate > 0:
        raise ValueError(f"learning_rate={learning_rate!r} is not allowed: give a positive number.")
    if not isinstance(n_classes, (int, np.integer)) or isinstance(n_classes, bool) or n_classes < 2:
        raise ValueError(f"n_classes={n_classes!r} is not allowed: a classifier needs at least 2 classes.")
    if not isinstance(epochs, (int, np.integer)) or isinstance(epochs, bool) or epochs < 1:
        raise ValueError(f"epochs={epochs!r} is not allowed: give an int >= 1.")
    images = not _takes_strings(base)
    if is_dataset(x):
        if y is not None:
            raise ValueError(
                f"y is given, but x is a dataset ({type(x).__name__}) that yields its own labels; "
                "allowed: y=None with a dataset of (x, y) batches."
            )
        check_finite(x, "x")
    else:
        x, y = check_xy(x, y, n_classes=int(n_classes), shape=_input_shape(base), images=images)
        check_pixel_scale(base, x)  # 0..1 images into a base that starts with Preprocess (0..255)
    if validation_data is not None:
        if is_dataset(validation_data):
            check_finite(validation_data, "validation_data")
        else:
            validation_data = _check_validation(validation_data, int(n_classes), _input_shape(base), images)
    n_classes = int(n_classes)
    _check_speed_options(jit_compile, mixed_precision)
    keras.utils.set_random_seed(seed)
    with _dtype_policy(mixed_precision):
        model = add_head(base, n_classes, dropout=dropout)
        layers_after_base = model.layers[model.layers.index(base) + 1:]
        feature_input = keras.Input(shape=base.output_shape[1:], name="features")
        h = feature_input
        for layer in layers_after_base:
            h = layer(h)
        head = keras.Model(feature_input, h, name="head_on_features")
    compile_args = dict(loss="sparse_categorical_crossentropy", metrics=["accuracy"], jit_compile=jit_compile)
    head.compile(optimizer=keras.optimizers.Adam(learning_rate), **compile_args)
    if is_dataset(x):
        features, y = _features_and_labels(base, x, "x", n_classes)
    else:
        features = extract_features(base, x)
    val = None
    if is_dataset(validation_data):
        val = _features_and_labels(base, validation_data, "validation_data", n_classes)
    elif validation_data is not None:
        val = (extract_features(base, validation_data[0]), validation_data[1])
    fit_args = dict(validation_data=val, epochs=epochs, batch_size=batch_size, verbose=verbose)
    if checkpoint_dir is None:
        history = head.fit(features, y, callbacks=callbacks, **fit_args)
    else:
        from .checkpoints import fit_resumable

        history = fit_resumable(head, features, y, checkpoint_dir=checkpoint_dir, seed=seed, callbacks=callbacks, **fit_args)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), **compile_args)
    return model, history


def _input_shape(model: keras.Model) -> tuple | None:
    inputs = getattr(model, "inputs", None)
    return tuple(inputs[0].shape[1:]) if inputs and len(inputs) == 1 else None


def _takes_strings(model: keras.Model) -> bool:
    return any(str(getattr(i, "dtype", "")) == "string" for i in getattr(model, "inputs", None) or [])


def _check_validation(validation_data, n_classes: int | None, shape: tuple | None, images: bool = True) -> tuple:
    """Check ``validation_data`` is an ``(x, y)`` pair of valid images and labels."""
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
        raise ValueError(
            f"validation_data of type {type(validation_data).__name__} is not allowed: give a pair (x_val, y_val)."
        )
    return check_xy(
        *validation_data, n_classes=n_classes, shape=shape, names=("validation_data[0]", "validation_data[1]"), images=images
    )


def fit_logistic_regression(features: np.ndarray, y, C: float = 1.0, max_iter: int = 2000, seed: int = 0):
    """Fit scikit-learn's logistic regression on extracted features (standardised first).

    The classic feature-extraction recipe: the pretrained network as a fixed
    feature extractor, a linear classifier on top. Returns the fitted
    ``sklearn`` pipeline; ``.score(features_val, y_val)`` gives accuracy.

    Example:
        >>> clf = fit_logistic_regression(np.array([[0.0], [1.0], [0.1], [0.9]]), [0, 1, 0, 1])
        >>> clf.predict([[0.95]]).tolist()
        [1]
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    features = check_images(features, "features")
    if features.ndim != 2:
        features = features.reshape(len(features), -1)
    if len(features) != len(y):
        raise ValueError(f"features and y have different lengths: {len(features)} and {len(y)}.")
    y = check_labels(y)
    if C <= 0:
        raise ValueError(f"C={C!r} is not allowed: the inverse regularisation strength must be positive.")
    if len(np.unique(y)) < 2:
        raise ValueError("y has fewer than 2 classes: a classifier needs at least 2.")
    from threadpoolctl import threadpool_limits

    clf = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=max_iter, random_state=seed))
    # One BLAS thread: these problems are small, and two threads (fighting TensorFlow's for the cores)
    # made each fit 3-5 times slower on 2 cores (benchmarks: docs/performance.md).
    with threadpool_limits(1, user_api="blas"):
        return clf.fit(features, np.asarray(y))
