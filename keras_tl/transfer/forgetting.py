"""Catastrophic forgetting: measure it, and reduce it with rehearsal or L2-SP.

Fine-tuning a pretrained base on a target task moves the weights that the
source task relied on, so the source accuracy drops: *catastrophic forgetting*
(McCloskey & Cohen 1989; French 1999). To see it, the source model and the
target model must **share** their base: build the target model from the
source model's own layers,

    base = feature_extractor(source_model, "flatten", trainable=True)
    target_model = add_head(base, n_target_classes)

and ``source_model`` (the same layers plus its original head, ``fc`` and
``predictions``) still classifies the source task with whatever the base has
become. :func:`measure_forgetting` evaluates it before and after fitting the
target model.

Two ways to forget less:

* **Rehearsal** (Robins 1995): keep a few source samples and mix them into
  every target batch. :func:`two_head_model` puts both heads on the shared base
  (outputs ``"target"`` and ``"source"``) and :class:`RehearsalData` (a
  ``keras.utils.PyDataset``) builds the mixed batches, with per-output sample
  weights so each sample trains only the head of its own task.
* **L2-SP** (Li, Grandvalet & Davoine, "Explicit Inductive Bias for Transfer
  Learning with Convolutional Networks", ICML 2018): a penalty
  ``alpha/2 * ||w - w0||^2`` pulling the shared weights towards their
  pretrained values ``w0`` (starting point, "SP"), plus ``beta/2 * ||w||^2`` on the
  new head. :class:`L2SP` is a Keras regularizer; :func:`apply_l2sp` attaches it.

Example:
    >>> import numpy as np
    >>> from keras_tl import build_source_cnn, feature_extractor, add_head
    >>> source = build_source_cnn()
    >>> target = add_head(feature_extractor(source, "flatten", trainable=True), 5)
    >>> _ = apply_l2sp(target, alpha=0.1)
    >>> float(l2sp_penalty(target))   # zero at the pretrained weights
    0.0
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import keras
import numpy as np

from keras_tl.core.data_input import as_arrays, check_finite, dataset_xy, is_dataset
from keras_tl.core.validation import check_labels, check_model_input, check_xy
from keras_tl.transfer.freezing import _nested_base

__all__ = [
    "ForgettingReport", "L2SP", "RehearsalData", "accuracy_of", "apply_l2sp", "l2sp_penalty", "measure_forgetting",
    "shared_variables", "two_head_model",
]


def accuracy_of(model: keras.Model, x, y, batch_size: int = 512) -> float:
    """Accuracy of ``model``'s class predictions (``argmax`` of ``predict``) on ``(x, y)``.

    With a two-output model (:func:`two_head_model`) pass the single-head model instead.
    ``x`` may be a finite ``tf.data.Dataset`` or ``keras.utils.PyDataset`` of ``(x, y)`` batches, with ``y=None``.

    Example:
        >>> import numpy as np
        >>> from keras_tl import build_source_cnn
        >>> 0.0 <= accuracy_of(build_source_cnn(), np.zeros((4, 28, 28)), np.zeros(4)) <= 1.0
        True
    """
    x, y = dataset_xy(x, y, "x")
    if len(x) != len(y) or len(y) == 0:
        raise ValueError(f"x and y must be non-empty and of the same length: got {len(x)} and {len(y)}.")
    x = check_model_input(model, x)
    outputs = getattr(model, "outputs", None) or []
    n_classes = int(outputs[0].shape[-1]) if len(outputs) == 1 and outputs[0].shape[-1] else None
    y = check_labels(y, n=len(x), n_classes=n_classes)
    p = model.predict(x, batch_size=batch_size, verbose=0)
    if isinstance(p, (dict, list, tuple)):
        raise ValueError(f"Model {model.name!r} has several outputs; give a single-output model.")
    return float(np.mean(np.argmax(p, axis=-1) == y))


def shared_variables(a: keras.Model, b: keras.Model) -> list:
    """The variables ``a`` and ``b`` both hold (the same objects, not equal values).

    Example:
        >>> from keras_tl import build_source_cnn, feature_extractor, add_head
        >>> source = build_source_cnn()
        >>> len(shared_variables(source, add_head(feature_extractor(source, "flatten"), 2)))  # 2 x (conv kernel + 4 BN)
        10
    """
    ids = {id(v) for v in b.weights}
    return [v for v in a.weights if id(v) in ids]


# --------------------------------------------------------------------------- #
# Measuring
# --------------------------------------------------------------------------- #
@dataclass
class ForgettingReport:
    """Source and target accuracy before and after fine-tuning; ``forgetting`` = source drop."""

    source_before: float
    source_after: float
    target_before: float
    target_after: float
    seconds: float
    history: dict = field(default_factory=dict, repr=False)

    @property
    def forgetting(self) -> float:
        return self.source_before - self.source_after

    def __str__(self) -> str:
        return (
            f"source {self.source_before:.3f} -> {self.source_after:.3f} (forgetting {self.forgetting:+.3f}); "
            f"target {self.target_before:.3f} -> {self.target_after:.3f}; {self.seconds:.1f} s"
        )


def measure_forgetting(
    source_model: keras.Model,
    target_model: keras.Model,
    source_test: tuple,
    target_val: tuple,
    x,
    y=None,
    fit_model: keras.Model | None = None,
    seed: int | None = None,
    **fit_kwargs,
) -> ForgettingReport:
    """Fit on the target and report the source accuracy before and after (catastrophic forgetting).

    ``target_model`` must share weights with ``source_model`` (build it with
    ``add_head(feature_extractor(source_model, ...), n)``), else its training
    could not change the source accuracy and ``ValueError`` says how to build it.
    ``fit_model`` is what gets ``fit(x, y, **fit_kwargs)``, compiled by you:
    ``target_model`` by default, or a :func:`two_head_model` fed by
    :class:`RehearsalData`. Accuracies: ``source_model`` on ``source_test`` and
    ``target_model`` on ``target_val``, both ``(x, y)``. ``seed`` (optional) seeds the
    fit (``keras.utils.set_random_seed``: shuffling, dropout).

    ``source_test`` and ``target_val`` may be finite ``tf.data.Dataset`` / ``keras.utils.PyDataset``
    of ``(x, y)`` batches (read into arrays once); ``x`` may be a dataset of ``(x, y)`` batches
    (with ``y=None``), passed to ``fit`` as it is.

    Example:
        >>> import numpy as np
        >>> from keras_tl import build_source_cnn, feature_extractor, add_head
        >>> source = build_source_cnn()
        >>> target = add_head(feature_extractor(source, "flatten", trainable=True), 2)
        >>> target.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        >>> data = (np.zeros((8, 28, 28)), np.arange(8) % 2)
        >>> report = measure_forgetting(source, target, data, data, *data, epochs=1, verbose=0)
        >>> round(report.source_before - report.source_after, 6) == round(report.forgetting, 6)
        True
    """
    fit_model = fit_model if fit_model is not None else target_model
    if not shared_variables(source_model, target_model):
        raise ValueError(
            f"target_model {target_model.name!r} shares no weights with source_model {source_model.name!r}, so "
            "fine-tuning it cannot change the source accuracy. Build it from the source model's layers: "
            "add_head(feature_extractor(source_model, 'flatten', trainable=True), n_classes)."
        )
    if len(shared_variables(target_model, fit_model)) < len(target_model.weights):
        raise ValueError(f"fit_model {fit_model.name!r} does not contain target_model {target_model.name!r}.")
    if getattr(fit_model, "optimizer", None) is None:
        raise ValueError(f"fit_model {fit_model.name!r} is not compiled: call compile(...) first.")
    if is_dataset(source_test):
        source_test = as_arrays(source_test, name="source_test", need_labels=True)
    if is_dataset(target_val):
        target_val = as_arrays(target_val, name="target_val", need_labels=True)
    if is_dataset(x):
        if y is not None:
            raise ValueError(
                f"y is given, but x is a dataset ({type(x).__name__}) that yields its own labels; "
                "allowed: y=None with a dataset of (x, y) batches."
            )
        if "steps_per_epoch" not in fit_kwargs:
            check_finite(x, "x", "steps_per_epoch=... in the fit arguments")
    for what, pair in (("source_test", source_test), ("target_val", target_val)):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise ValueError(f"{what} of type {type(pair).__name__} is not allowed: give a pair (x, y).")
    if y is not None:
        x, y = check_xy(x, y)
    source_before = accuracy_of(source_model, *source_test)
    target_before = accuracy_of(target_model, *target_val)
    start = time.perf_counter()
    if seed is not None:
        keras.utils.set_random_seed(seed)
    history = fit_model.fit(x, y, **fit_kwargs)
    seconds = time.perf_counter() - start
    return ForgettingReport(
        source_before=source_before,
        source_after=accuracy_of(source_model, *source_test),
        target_before=target_before,
        target_after=accuracy_of(target_model, *target_val),
        seconds=seconds,
        history=dict(history.history),
    )


# --------------------------------------------------------------------------- #
# Rehearsal
# --------------------------------------------------------------------------- #
def two_head_model(
    source_model: keras.Model, target_model: keras.Model, train_source_head: bool = False, name: str = "two_heads"
) -> keras.Model:
    """One model with the target and the source head on the shared base: outputs ``{"target", "source"}``.

    Both nested models are called on the same input, so the shared base gets
    gradients from both tasks. The source head (the layers of
    ``source_model`` not shared with ``target_model``) is frozen unless
    ``train_source_head``: trained on a small rehearsal memory it would overfit
    it (measured in ``10_forgetting``), while frozen it makes the base keep
    serving the source classifier as it is. Compile it with a
    loss per output, e.g. ``loss={"target": "sparse_categorical_crossentropy",
    "source": "sparse_categorical_crossentropy"}``.

    Example:
        >>> from keras_tl import build_source_cnn, feature_extractor, add_head
        >>> source = build_source_cnn()
        >>> both = two_head_model(source, add_head(feature_extractor(source, "flatten", trainable=True), 3))
        >>> {name: tuple(out.shape) for name, out in sorted(both.output.items())}
        {'source': (None, 5), 'target': (None, 3)}
    """
    if not shared_variables(source_model, target_model):
        raise ValueError(
            f"target_model {target_model.name!r} shares no weights with source_model {source_model.name!r}: "
            "rehearsal needs one base under both heads (add_head(feature_extractor(source_model, ...), n))."
        )
    if tuple(source_model.input_shape[1:]) != tuple(target_model.input_shape[1:]):
        raise ValueError(
            f"Input shapes differ: source {source_model.input_shape[1:]} and target {target_model.input_shape[1:]}."
        )
    shared = {id(v) for v in shared_variables(source_model, target_model)}
    for layer in source_model.layers:
        if layer.weights and not any(id(v) in shared for v in layer.weights):
            layer.trainable = bool(train_source_head)
    inputs = keras.Input(shape=tuple(target_model.input_shape[1:]), name="image")
    flat = _two_heads_on_shared_base(source_model, target_model, inputs, name)
    if flat is not None:
        return flat
    return keras.Model(inputs, {"target": target_model(inputs), "source": source_model(inputs)}, name=name)


def _layers_after(model: keras.Model, layer: keras.Layer) -> list | None:
    """The layers of ``model`` after ``layer`` if they form a plain chain from it to the output, else None."""
    layers = model.layers
    if layer not in layers:
        return None
    chain, prev = layers[layers.index(layer) + 1:], layer
    try:
        for lyr in chain:
            if len(lyr._inbound_nodes) != 1 or lyr.input._keras_history.operation is not prev:
                return None
            prev = lyr
        return chain if model.output._keras_history.operation is prev else None
    except (AttributeError, ValueError):
        return None


def _two_heads_on_shared_base(source_model, target_model, inputs, name: str) -> keras.Model | None:
    """Base once, then both heads' layers on its output: every layer appears once, so ``.keras`` files load.

    Calling both nested models would put the shared layers in two sub-models of the saved file, and
    Keras then restores them in one place only. Returns None when the models are not plain chains
    above the base (then the nested form is used).
    """
    base = _nested_base(target_model)
    if base is None or not base.layers:
        return None
    cut = base.layers[-1]
    source_head = _layers_after(source_model, cut)
    target_head = _layers_after(target_model, base)
    if not source_head or not target_head:
        return None
    try:
        features = base(inputs)
        outputs = {}
        for key, head in (("target", target_head), ("source", source_head)):
            x = features
            for layer in head:
                x = layer(x)
            outputs[key] = x
        return keras.Model(inputs, outputs, name=name)
    except ValueError:  # e.g. a layer name used by both heads
        return None


class RehearsalData(keras.utils.PyDataset):
    """Target batches with ``n_source`` rehearsed source samples mixed into each (a ``keras.utils.PyDataset``).

    Each batch holds ``batch_size - n_source`` target samples (one pass over
    the target per epoch, shuffled) and ``n_source`` samples drawn from the
    source memory ``(source_x, source_y)``, a small set you keep (e.g. 20 per
    class). It yields ``(x, {"target": y_t, "source": y_s},
    {"target": w_t, "source": w_s})`` for a :func:`two_head_model`: target
    samples carry weight 1 on the target output and 0 on the source one, and
    the other way round, so each sample trains only its own head (and the
    shared base). The labels at weight 0 are placeholders (0).

    Example:
        >>> import numpy as np
        >>> data = RehearsalData(np.zeros((10, 28, 28)), np.ones(10), np.zeros((6, 28, 28)), np.ones(6), batch_size=4, n_source=2)
        >>> x, y, w = data[0]
        >>> len(data), x.shape, w["target"].tolist(), w["source"].tolist()
        (5, (4, 28, 28), [1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0])
    """

    def __init__(self, target_x, target_y, source_x, source_y, batch_size: int = 32, n_source: int = 8, seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.tx, self.ty = np.asarray(target_x), np.asarray(target_y)
        self.sx, self.sy = np.asarray(source_x), np.asarray(source_y)
        for what, a, b in (("target", self.tx, self.ty), ("source", self.sx, self.sy)):
            if len(a) != len(b) or len(a) == 0:
                raise ValueError(f"{what} x and y must be non-empty and of the same length: got {len(a)} and {len(b)}.")
        if self.tx.shape[1:] != self.sx.shape[1:]:
            raise ValueError(f"Target and source samples differ in shape: {self.tx.shape[1:]} and {self.sx.shape[1:]}.")
        if not (isinstance(batch_size, (int, np.integer)) and batch_size >= 2):
            raise ValueError(f"batch_size={batch_size!r} is not allowed: give an int >= 2.")
        if not (isinstance(n_source, (int, np.integer)) and 1 <= n_source < batch_size):
            raise ValueError(f"n_source={n_source!r} is not allowed: give 1..{batch_size - 1} (fewer than batch_size).")
        self.batch_size, self.n_source = int(batch_size), int(n_source)
        self.n_target = self.batch_size - self.n_source
        self._rng = np.random.default_rng(seed)
        self.on_epoch_end()

    def __len__(self) -> int:
        return math.ceil(len(self.tx) / self.n_target)

    def on_epoch_end(self):
        self._order = self._rng.permutation(len(self.tx))
        self._source_pick = self._rng.integers(0, len(self.sx), size=(len(self), self.n_source))

    def __getitem__(self, index: int):
        t = self._order[index * self.n_target:(index + 1) * self.n_target]
        s = self._source_pick[index]
        x = np.concatenate([self.tx[t], self.sx[s]])
        zeros_t, zeros_s = np.zeros(len(t), self.ty.dtype), np.zeros(len(s), self.sy.dtype)
        y = {"target": np.concatenate([self.ty[t], zeros_s]), "source": np.concatenate([zeros_t, self.sy[s]])}
        on_t = np.concatenate([np.ones(len(t)), np.zeros(len(s))]).astype("float32")
        return x, y, {"target": on_t, "source": 1.0 - on_t}


# --------------------------------------------------------------------------- #
# L2-SP
# --------------------------------------------------------------------------- #
@keras.saving.register_keras_serializable(package="keras_tl")
class L2SP(keras.regularizers.Regularizer):
    """``alpha / 2 * ||w - reference||^2``: L2-SP's pull towards the pretrained weights (Li et al., ICML 2018).

    With ``reference=None`` it is ``alpha / 2 * ||w||^2`` (the L2 term L2-SP
    puts on the new head, with weight beta). Serializable: the reference is
    stored in the config, so ``.keras`` files carry it.

    Example:
        >>> import numpy as np
        >>> reg = L2SP(0.5, reference=np.ones(3))
        >>> float(reg(np.ones(3, "float32"))), float(reg(np.array([1.0, 1.0, 3.0], "float32")))
        (0.0, 1.0)
    """

    def __init__(self, alpha: float = 0.01, reference=None):
        if not (isinstance(alpha, (int, float, np.floating)) and np.isfinite(alpha) and alpha >= 0):
            raise ValueError(f"alpha={alpha!r} is not allowed: the penalty weight must be a finite number >= 0.")
        self.alpha = float(alpha)
        self.reference = None if reference is None else np.asarray(reference, dtype="float32")

    def __call__(self, x):
        diff = x if self.reference is None else x - keras.ops.convert_to_tensor(self.reference, dtype=x.dtype)
        return 0.5 * self.alpha * keras.ops.sum(keras.ops.square(diff))

    def get_config(self):
        return {"alpha": self.alpha, "reference": None if self.reference is None else self.reference.tolist()}


_WEIGHT_ATTRS = ("kernel", "bias", "gamma", "beta", "depthwise_kernel", "pointwise_kernel", "embeddings")


def _attach(layer, variable, regularizer) -> None:
    variable.regularizer = regularizer
    for attr in _WEIGHT_ATTRS:  # also in the layer's config, so a saved model keeps it
        if getattr(layer, attr, None) is variable and hasattr(layer, f"{attr}_regularizer"):
            setattr(layer, f"{attr}_regularizer", regularizer)


def _weighted_layers(model) -> list:
    out = []
    for layer in getattr(model, "layers", []):
        if isinstance(layer, keras.Model):
            out.extend(_weighted_layers(layer))
        elif layer.weights:
            out.append(layer)
    return out


def apply_l2sp(model: keras.Model, alpha: float = 0.01, beta: float = 0.0, base: keras.Model | None = None) -> keras.Model:
    """Attach L2-SP to ``model``: ``alpha`` pulls the base's weights to their current (pretrained) values, ``beta`` is L2 on the head.

    Li, Grandvalet & Davoine (ICML 2018) regularise fine-tuning with
    ``alpha/2 ||w_S - w_S^0||^2 + beta/2 ||w_new||^2``, where ``w_S`` are the
    weights shared with the pretrained network and ``w_new`` the new head.
    The base is ``base`` or the nested model of a model built with
    :func:`~keras_tl.add_head`; everything else with weights is the
    head. Call it right after building the target model (the current base
    weights become ``w0``) and **before** ``compile``: Keras adds the penalties
    to the loss when it traces the train step. Every trainable-kind variable
    (kernels, biases, BatchNorm scale and offset; not moving statistics) gets an
    :class:`L2SP` regularizer; a frozen one adds nothing. Returns ``model``.

    Example:
        >>> import numpy as np
        >>> from keras_tl import build_source_cnn, feature_extractor, add_head
        >>> model = apply_l2sp(add_head(feature_extractor(build_source_cnn(), "flatten", trainable=True), 2), alpha=1.0)
        >>> kernel = model.get_layer("source_cnn_base").get_layer("block1_conv").kernel
        >>> _ = kernel.assign(kernel + 1.0)
        >>> float(l2sp_penalty(model))   # 1.0 / 2 * (3 * 3 * 1 * 32 weights moved by 1)
        144.0
    """
    for what, value in (("alpha", alpha), ("beta", beta)):
        if not (isinstance(value, (int, float, np.floating)) and np.isfinite(value) and value >= 0):
            raise ValueError(f"{what}={value!r} is not allowed: a penalty weight must be a finite number >= 0.")
    base = base if base is not None else _nested_base(model)
    if base is None:
        raise ValueError(
            f"Model {model.name!r} has no nested base: build it with add_head(base, n) or pass base=."
        )
    base_layers = _weighted_layers(base)
    base_ids = {id(layer) for layer in base_layers}
    for layer in base_layers:
        for v in layer.weights:
            if v.trainable:
                _attach(layer, v, L2SP(alpha, reference=keras.ops.convert_to_numpy(v)) if alpha else None)
    for layer in _weighted_layers(model):
        if id(layer) not in base_ids:
            for v in layer.weights:
                if v.trainable:
                    _attach(layer, v, L2SP(beta) if beta else None)
    return model


def l2sp_penalty(model: keras.Model):
    """The sum of the :class:`L2SP` penalties on ``model``'s weights now (frozen ones included), as a scalar tensor.

    Example:
        >>> from keras_tl import build_source_cnn
        >>> float(l2sp_penalty(build_source_cnn()))
        0.0
    """
    total = keras.ops.convert_to_tensor(0.0)
    seen = set()
    for layer in _weighted_layers(model):
        for v in layer.weights:
            if isinstance(v.regularizer, L2SP) and id(v) not in seen:
                seen.add(id(v))
                total = total + keras.ops.cast(v.regularizer(v.value), total.dtype)
    return total
