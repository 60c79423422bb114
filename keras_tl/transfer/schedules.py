"""Fine-tuning schedules: gradual unfreezing and discriminative learning rates.

Two ideas from ULMFiT (Howard & Ruder, "Universal Language Model Fine-tuning
for Text Classification", ACL 2018), as plain Keras pieces:

* :class:`GradualUnfreezing` -- a ``keras.callbacks.Callback`` that trains the
  head alone in the first epoch, then unfreezes one layer group per epoch from
  the top down, so the general bottom layers are disturbed last and least.
* :func:`discriminative_lr` -- a Keras optimizer whose learning rate is lower
  for lower layer groups (ULMFiT divides it by 2.6 per group going down;
  fastai writes it ``slice(lo, hi)``). Keras has no per-layer learning rate
  (keras-team/keras#21741), so the optimizer scales the rate per variable in
  its ``update_step``; it is a subclass of the Keras optimizer you name.

A *layer group* is what :func:`layer_groups` finds: the layers with weights of
the base (the nested model inside a model built with
:func:`~keras_tl.add_head`; else all layers but the last), grouped
by the prefix before their first ``_`` (``block1_conv`` and ``block1_bn`` form
``block1``); a layer whose prefix is its own forms a group alone (``fc``).
Everything outside the base is the *head*, which always trains.

Example:
    >>> import keras
    >>> from keras_tl import build_source_cnn, feature_extractor, add_head
    >>> model = add_head(feature_extractor(build_source_cnn(), "flatten"), 3)
    >>> list(layer_groups(model))
    ['block1', 'block2']
    >>> opt = discriminative_lr(model, 1e-3, factor=2.0)
    >>> opt.lr_multipliers["block1_conv/kernel"], opt.lr_multipliers["head/kernel"]
    (0.25, 1.0)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import keras
import numpy as np

from keras_tl.transfer.freezing import _countable_layers, _nested_base

__all__ = ["DISCRIMINATIVE_FACTOR", "DiscriminativeLR", "GradualUnfreezing", "discriminative_lr", "layer_groups"]

#: ULMFiT's ratio between the learning rates of neighbouring layer groups.
DISCRIMINATIVE_FACTOR = 2.6


# --------------------------------------------------------------------------- #
# Layer groups
# --------------------------------------------------------------------------- #
def _base_and_head(model: keras.Model) -> tuple[keras.Model, list]:
    """The model whose layers are grouped, and the head layers (outside the groups)."""
    base = _nested_base(model)
    if base is not None:
        head = [layer for layer in model.layers if layer is not base and layer.weights]
        return base, head
    with_weights = [layer for layer in _countable_layers(model) if layer.weights]
    if len(with_weights) < 2:
        raise ValueError(f"Model {model.name!r} has {len(with_weights)} layer(s) with weights: nothing below a head to group.")
    return model, [with_weights[-1]]


def layer_groups(model: keras.Model, groups: Sequence[str | Sequence[str]] | None = None) -> dict[str, list]:
    """The layer groups of ``model``'s base, bottom to top, as ``{name: [layers]}``.

    Default grouping: the base's layers with weights, by the prefix before their
    first ``_``, in the order they first appear. ``groups`` overrides it: a list,
    bottom to top, whose items are a prefix (``"block1"`` takes every layer whose
    name starts with ``block1_`` or is ``block1``) or a list of layer names.
    An unknown prefix or layer raises ``ValueError`` listing the layers.

    Example:
        >>> from keras_tl import build_source_cnn
        >>> {k: [l.name for l in v] for k, v in layer_groups(build_source_cnn()).items()}
        {'block1': ['block1_conv', 'block1_bn'], 'block2': ['block2_conv', 'block2_bn'], 'fc': ['fc']}
    """
    base, head = _base_and_head(model)
    layers = [layer for layer in _countable_layers(base) if layer.weights and layer not in head]
    names = [layer.name for layer in layers]
    if groups is None:
        out: dict[str, list] = {}
        for layer in layers:
            out.setdefault(layer.name.split("_")[0], []).append(layer)
        return out
    if isinstance(groups, str) or not len(groups):
        raise ValueError(f"groups={groups!r} is not allowed: give a non-empty list of prefixes or lists of layer names.")
    out = {}
    by_name = {layer.name: layer for layer in layers}
    for item in groups:
        if isinstance(item, str):
            chosen = [lyr for lyr in layers if lyr.name == item or lyr.name.startswith(item + "_")]
            key = item
        else:
            unknown = [n for n in item if n not in by_name]
            if unknown:
                raise ValueError(f"Unknown layers {unknown} in groups; layers with weights of {base.name!r} are: {names}.")
            chosen, key = [by_name[n] for n in item], "+".join(item)
        if not chosen:
            raise ValueError(f"Group {item!r} matches no layer with weights of {base.name!r}; they are: {names}.")
        out[key] = chosen
    return out


def _set_group(layers: list, trainable: bool, train_bn: bool) -> None:
    for layer in layers:
        layer.trainable = trainable and (train_bn or not isinstance(layer, keras.layers.BatchNormalization))


# --------------------------------------------------------------------------- #
# Gradual unfreezing
# --------------------------------------------------------------------------- #
class GradualUnfreezing(keras.callbacks.Callback):
    """Unfreeze one layer group per ``every`` epochs, top down (ULMFiT's gradual unfreezing).

    Howard & Ruder (ACL 2018) fine-tune the last layer group first, then
    unfreeze the next lower group each epoch, until ``n_groups`` groups (default:
    all of them) train together with the head. Epoch ``e`` of ``fit`` (counted
    from the first epoch of this ``fit``) trains the head and the top
    ``min(e // every, n_groups)`` groups of :func:`layer_groups`. BatchNorm
    layers stay frozen (inference mode) unless ``train_bn``, as in
    :func:`~keras_tl.freeze_to`.

    Changing ``trainable`` in Keras 3 takes effect when the train function is
    traced again; the callback calls ``model.make_train_function(force=True)``
    after each change instead of ``compile``, so the optimizer, the loss and
    the compiled metrics stay the same objects. What is kept of the optimizer:
    if it was built on every variable the schedule will unfreeze (e.g. compiled
    while everything was trainable, as after ``fine_tune(model, "all")``), it is
    the very same instance throughout: its ``iterations``, learning rate and
    every slot variable (momenta...) carry on, and a frozen variable's slots
    simply do not move. If it was built on fewer variables (compiled with the
    base frozen), Keras refuses variables it was not built with, so at the
    start of ``fit`` the callback swaps in an optimizer of the same class and
    config built on all of them, copying ``iterations``, the learning rate and
    the slot variables of the variables the old one knew; the new variables'
    slots start at zero. A learning-rate schedule keeps counting from
    ``iterations``.

    The callback sets the base's flags itself: whatever ``freeze_to`` or
    ``fine_tune`` left there is overridden (layers with weights outside the
    groups are frozen; the head always trains). Combine it with
    :func:`discriminative_lr` for ULMFiT's full recipe.

    ``log`` holds, per epoch, the trainable groups and each layer's flag, for
    checking. Tested on the TensorFlow backend only (JAX was not installed
    where this was written).

    Example:
        >>> import numpy as np
        >>> from keras_tl import build_source_cnn, feature_extractor, add_head
        >>> model = add_head(feature_extractor(build_source_cnn(), "flatten"), 2)
        >>> model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
        >>> cb = GradualUnfreezing()
        >>> _ = model.fit(np.zeros((4, 28, 28)), np.zeros(4), epochs=3, verbose=0, callbacks=[cb])
        >>> [entry["groups"] for entry in cb.log]
        [[], ['block2'], ['block2', 'block1']]
    """

    def __init__(
        self,
        n_groups: int | None = None,
        groups: Sequence[str | Sequence[str]] | None = None,
        every: int = 1,
        train_bn: bool = False,
        verbose: int = 0,
    ):
        super().__init__()
        if n_groups is not None and (isinstance(n_groups, bool) or not isinstance(n_groups, (int, np.integer)) or n_groups < 1):
            raise ValueError(f"n_groups={n_groups!r} is not allowed: give an int >= 1 (or None for all groups).")
        if n_groups is not None and groups is not None and not isinstance(groups, str) and n_groups > len(groups):
            raise ValueError(f"n_groups={n_groups} is longer than the {len(groups)} groups given: give 1..{len(groups)}.")
        if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1:
            raise ValueError(f"every={every!r} is not allowed: give an int >= 1 (epochs per unfrozen group).")
        self.n_groups, self.groups, self.every, self.train_bn, self.verbose = n_groups, groups, int(every), train_bn, verbose
        self.log: list[dict] = []
        self._groups: dict[str, list] | None = None
        self._current: int | None = None
        self._first_epoch: int | None = None

    def plan(self, model: keras.Model) -> list[list[str]]:
        """The groups trainable in each epoch until all ``n_groups`` are unfrozen (validates against ``model``).

        Example:
            >>> from keras_tl import build_source_cnn
            >>> GradualUnfreezing(every=2).plan(build_source_cnn())
            [[], [], ['fc'], ['fc'], ['fc', 'block2'], ['fc', 'block2'], ['fc', 'block2', 'block1']]
        """
        groups = layer_groups(model, self.groups)
        n = len(groups)
        if self.n_groups is not None and self.n_groups > n:
            raise ValueError(
                f"n_groups={self.n_groups} is longer than the schedule allows: {model.name!r} has {n} layer groups "
                f"({list(groups)}), so give 1..{n}."
            )
        top_down = list(groups)[::-1][: self.n_groups or n]
        return [top_down[: k] for k in range(len(top_down) + 1) for _ in range(self.every if k < len(top_down) else 1)]

    def set_model(self, model):
        super().set_model(model)
        self.plan(model)  # validates before anything changes
        self._groups = layer_groups(model, self.groups)
        self._current, self._first_epoch = None, None

    def _apply(self, k: int) -> list[str]:
        model = self.model
        base, head = _base_and_head(model)
        top_down = list(self._groups)[::-1][: self.n_groups or len(self._groups)]
        model.trainable = True
        base.trainable = True
        grouped = {id(layer) for layers in self._groups.values() for layer in layers}
        for layer in _countable_layers(base):  # layers with weights left out of explicit groups stay frozen
            if layer.weights and id(layer) not in grouped and layer not in head:
                layer.trainable = False
        for layer in head:  # the head always trains
            for sub in [layer, *_all_layers(layer)]:
                sub.trainable = True
        for name, layers in self._groups.items():
            _set_group(layers, name in top_down[:k], self.train_bn)
        return top_down[:k]

    def _ensure_optimizer_knows(self, layers_to_come: list) -> None:
        """Make the optimizer know every variable the schedule will train (see the class docstring)."""
        opt = getattr(self.model, "optimizer", None)
        if opt is None:
            return
        # Every variable that will ever train, in model order: unfreeze the groups for a moment to list them.
        flags = {id(layer): layer.trainable for layer in _all_layers(self.model)}
        for layer in layers_to_come:
            layer.trainable = True
        all_vars = list(self.model.trainable_variables)
        for layer in _all_layers(self.model):
            layer.trainable = flags[id(layer)]
        if not opt.built:
            opt.build(all_vars)
            return
        keys = {opt._var_key(v) for v in all_vars}
        if all(key in opt._trainable_variables_indices for key in keys):
            return
        all_vars += [v for v in opt._trainable_variables if opt._var_key(v) not in keys]
        new = opt.__class__.from_config(opt.get_config())
        new.build(all_vars)
        old = {v.name: v for v in opt.variables}
        for v in new.variables:
            if v.name in old and tuple(old[v.name].shape) == tuple(v.shape):
                v.assign(old[v.name])
        self.model.optimizer = new

    def on_train_begin(self, logs=None):
        bn_ok = (lambda layer: self.train_bn or not isinstance(layer, keras.layers.BatchNormalization))
        to_come = [layer for layers in self._groups.values() for layer in layers if bn_ok(layer)]
        self._ensure_optimizer_knows(to_come)

    def on_epoch_begin(self, epoch, logs=None):
        if self._first_epoch is None:
            self._first_epoch = epoch
        n_all = min(self.n_groups or len(self._groups), len(self._groups))
        k = min((epoch - self._first_epoch) // self.every, n_all)
        if k != self._current:
            names = self._apply(k)
            self.model.make_train_function(force=True)
            self._current = k
            if self.verbose:
                print(f"GradualUnfreezing: epoch {epoch + 1}, trainable groups {names or '(head only)'}")
        else:
            names = list(self._groups)[::-1][:k]
        self.log.append(
            dict(
                epoch=epoch,
                groups=names,
                trainable={layer.name: bool(layer.trainable) for layers in self._groups.values() for layer in layers},
                n_trainable_weights=len(self.model.trainable_weights),
            )
        )


def _all_layers(model) -> list:
    out = []
    for layer in getattr(model, "layers", []):
        out.append(layer)
        out.extend(_all_layers(layer))
    return out


# --------------------------------------------------------------------------- #
# Discriminative learning rates
# --------------------------------------------------------------------------- #
class DiscriminativeLR:
    """Mixin for a Keras optimizer: multiply the learning rate of each variable by a factor.

    ``lr_multipliers`` maps variable paths (``"block1_conv/kernel"``) to factors;
    a variable not in it gets 1. The factor scales the ``learning_rate`` that
    Keras passes to ``update_step``, so for SGD a variable moves exactly
    ``factor`` times as far, and for Adam its step size is ``factor`` times the
    base one. Weight decay (AdamW) is applied by Keras outside ``update_step``
    with the base rate. Use :func:`discriminative_lr` rather than this class:
    it builds ``Discriminative<Optimizer>`` subclasses, registered as
    serializable under ``keras_tl``.
    """

    def __init__(self, *args, lr_multipliers: Mapping[str, float] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        mult = {str(k): float(v) for k, v in (lr_multipliers or {}).items()}
        bad = {k: v for k, v in mult.items() if not (v >= 0 and np.isfinite(v))}
        if bad:
            raise ValueError(f"lr_multipliers {bad} are not allowed: give finite factors >= 0.")
        self.lr_multipliers = mult
        self._factor_by_key: dict = {}

    def build(self, variables):
        super().build(variables)
        self._factor_by_key = {self._var_key(v): self.lr_multipliers.get(v.path, 1.0) for v in variables}

    def update_step(self, gradient, variable, learning_rate):
        factor = self._factor_by_key.get(self._var_key(variable), 1.0)
        if factor != 1.0:
            learning_rate = keras.ops.multiply(learning_rate, keras.ops.cast(factor, keras.ops.dtype(learning_rate)))
        return super().update_step(gradient, variable, learning_rate)

    def get_config(self):
        return {**super().get_config(), "lr_multipliers": dict(self.lr_multipliers)}


_DISCRIMINATIVE: dict[type, type] = {}


def _discriminative_class(cls: type) -> type:
    if cls not in _DISCRIMINATIVE:
        name = f"Discriminative{cls.__name__}"
        sub = type(name, (DiscriminativeLR, cls), {"__module__": __name__, "__doc__": f"{cls.__name__} with per-variable learning-rate factors (keras_tl)."})
        _DISCRIMINATIVE[cls] = keras.saving.register_keras_serializable(package="keras_tl", name=name)(sub)
    return _DISCRIMINATIVE[cls]


for _cls in (keras.optimizers.SGD, keras.optimizers.Adam, keras.optimizers.AdamW, keras.optimizers.RMSprop):
    globals()[f"Discriminative{_cls.__name__}"] = _discriminative_class(_cls)
DiscriminativeSGD = _DISCRIMINATIVE[keras.optimizers.SGD]
DiscriminativeAdam = _DISCRIMINATIVE[keras.optimizers.Adam]
__all__ += ["DiscriminativeAdam", "DiscriminativeAdamW", "DiscriminativeRMSprop", "DiscriminativeSGD"]


def discriminative_lr(
    model: keras.Model,
    base_lr: float,
    factor: float | Mapping[str, float] = DISCRIMINATIVE_FACTOR,
    optimizer: str | type = "adam",
    groups: Sequence[str | Sequence[str]] | None = None,
    **kwargs,
) -> keras.optimizers.Optimizer:
    """A Keras optimizer with lower learning rates for lower layer groups (ULMFiT's discriminative fine-tuning).

    The head trains at ``base_lr``; the top group of :func:`layer_groups` at
    ``base_lr / factor``, the next one down at ``base_lr / factor**2``, and so
    on (Howard & Ruder 2018 use ``factor=2.6``). ``factor`` may instead be a
    mapping ``{group: multiplier}`` (groups left out get 1). ``optimizer`` is a
    Keras optimizer name or class (``"adam"``, ``"sgd"``, ``"adamw"``,
    ``"rmsprop"`` or any ``keras.optimizers.Optimizer`` subclass); ``kwargs`` go
    to it (``momentum=0.9``...). Pass the result to ``model.compile``. Works with
    :func:`~keras_tl.fine_tune` (give it ``learning_rate`` and then
    recompile with this optimizer) and with :class:`GradualUnfreezing`.

    Example:
        >>> from keras_tl import build_source_cnn
        >>> opt = discriminative_lr(build_source_cnn(), 1e-2, factor={"block1": 0.1}, optimizer="sgd")
        >>> type(opt).__name__, opt.lr_multipliers["block1_conv/kernel"], opt.lr_multipliers["fc/kernel"]
        ('DiscriminativeSGD', 0.1, 1.0)
    """
    if not (isinstance(base_lr, (int, float, np.floating)) and base_lr > 0):
        raise ValueError(f"base_lr={base_lr!r} is not allowed: give a positive learning rate.")
    found = layer_groups(model, groups)
    if isinstance(factor, Mapping):
        unknown = [g for g in factor if g not in found]
        if unknown:
            raise ValueError(f"Unknown groups {unknown} in factor; the groups of {model.name!r} are: {list(found)}.")
        per_group = {g: float(factor.get(g, 1.0)) for g in found}
    else:
        if not (isinstance(factor, (int, float, np.floating)) and factor >= 1):
            raise ValueError(f"factor={factor!r} is not allowed: give a number >= 1 (2.6 in ULMFiT) or a mapping group -> multiplier.")
        n = len(found)
        per_group = {g: float(factor) ** -(n - i) for i, g in enumerate(found)}
    multipliers = {}
    base, head = _base_and_head(model)
    for layer in head:
        for v in layer.weights:
            multipliers[v.path] = 1.0
    for g, layers in found.items():
        for layer in layers:
            for v in layer.weights:
                multipliers[v.path] = per_group[g]
    if isinstance(optimizer, str):
        cls = type(keras.optimizers.get(optimizer))
    elif isinstance(optimizer, type) and issubclass(optimizer, keras.optimizers.Optimizer):
        cls = optimizer
    else:
        raise ValueError(f"optimizer={optimizer!r} is not allowed: give a Keras optimizer name or class.")
    if issubclass(cls, DiscriminativeLR):
        cls = next(c for c in cls.__mro__[1:] if not issubclass(c, DiscriminativeLR))
    return _discriminative_class(cls)(learning_rate=float(base_lr), lr_multipliers=multipliers, **kwargs)
