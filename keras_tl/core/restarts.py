"""Put a model back as it was, to run it again from the same start: :func:`snapshot`.

Two uses, one function. **A backbone shared by several recipes** (fine-tune the top blocks, then train
BatchNorm at another momentum, then unfreeze everything) must be undone before each run: in plain Keras
``base.set_weights(saved)`` and a loop that puts ``layer.momentum`` back on every ``BatchNormalization``
layer. ``snapshot(base)`` records both; ``.restore()`` puts them back, and ``with keras_tl.snapshot(base):``
does it on leaving the block, also after an error. Which layers train is not recorded (``freeze_to``,
``fine_tune`` and ``top_model`` set it for each run).

**A compiled model run again** (over seeds or learning rates) needs the same starting point for every
run: the same weights and a fresh optimizer (step 0, no moments). A new model per run gives that, but its first ``fit`` and ``evaluate`` trace
their steps again (for notebook 14's small CNN, half the time of a 3-epoch run
on 2 CPU cores: ``benchmarks/restarts.py``). A compiled model keeps its traced step, which reads
the weights and the optimizer's variables (``iterations``, ``learning_rate``,
Adam's moments) at every step: put those variables back and the next ``fit``
runs the *same* traced step from the same start, with no new trace::

    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=...)
    start = keras_tl.snapshot(model)      # weights + optimizer state (optimizer built if needed)
    model.fit(x, y)                       # run 1
    start.restore()                       # weights and optimizer as they were, same traced step
    model.fit(x, y)                       # run 2: the same result as run 1 (same seed, same data)
    start.restore(weights=other_start, learning_rate=3e-4)   # another seed's weights, another rate

What a restore cannot change: a *Python number* that the training step reads
(an attribute such as ``DeepCORAL.weight``, a loss weight given to
``compile``) is frozen into the traced step. Change it on a compiled model and
the next ``fit`` still uses the old value. Either build and compile a new model
for that run (plain Keras, one new trace), or keep the number in a
``keras.Variable`` that the step reads (``self.scale = self.add_weight(shape=(),
trainable=False)`` in a layer, then ``layer.scale.assign(value)`` between runs):
a variable is read at every step, as the learning rate is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from numbers import Real
from typing import Sequence

import keras
import numpy as np

__all__ = ["Snapshot", "snapshot"]


def _values(variables) -> list[np.ndarray]:
    return [np.array(keras.ops.convert_to_numpy(v), copy=True) for v in variables]


def _batchnorm_layers(model: keras.Layer) -> list[keras.Layer]:
    """Every BatchNormalization layer inside ``model`` (nested models walked, each layer once)."""
    out, seen, todo = [], set(), [model]
    while todo:
        layer = todo.pop(0)
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        if isinstance(layer, keras.layers.BatchNormalization):
            out.append(layer)
        todo.extend(getattr(layer, "layers", []) or [])
    return out


@dataclass
class Snapshot:
    """What :func:`snapshot` saved of a model: its variables, its BatchNorm momentum, its optimizer's state.

    ``variables`` holds every model variable (trainable and not: BatchNorm
    statistics, the seed states of Dropout layers), ``momentum`` each BatchNorm
    layer's momentum, ``optimizer_state`` every optimizer variable
    (``iterations``, ``learning_rate``, the moments) when the model was
    compiled, else ``None``. :meth:`restore` writes them back; used as a
    context manager, the snapshot restores the model on leaving the block.
    """

    model: keras.Layer
    variables: list[np.ndarray] = field(repr=False)
    optimizer_state: list[np.ndarray] | None = field(repr=False)
    optimizer: keras.optimizers.Optimizer | None = field(repr=False)
    momentum: list = field(default_factory=list, repr=False)
    _saved: list = field(default_factory=list, repr=False)

    def restore(self, weights: Sequence[np.ndarray] | None = None, learning_rate: float | None = None) -> keras.Layer:
        """Put the model (and its optimizer, if it was compiled) back as they were at the snapshot; return it.

        ``weights`` (a ``model.get_weights()`` list, e.g. another seed's
        initial weights) replaces the saved weights; ``learning_rate`` sets
        the optimizer's rate for the next run (it is a variable: no new trace).
        The optimizer restarts at step 0 with the saved moments (zero when the
        snapshot was taken before training).

        Example:
            >>> import keras, numpy as np
            >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
            >>> model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
            >>> start = snapshot(model)
            >>> _ = model.fit(np.ones((8, 3)), np.zeros((8, 2)), verbose=0)
            >>> int(model.optimizer.iterations.numpy())
            1
            >>> _ = start.restore(learning_rate=1e-3)
            >>> int(model.optimizer.iterations.numpy()), round(float(model.optimizer.learning_rate.numpy()), 4)
            (0, 0.001)
        """
        model = self.model
        if self.optimizer_state is not None:
            self._check_same_optimizer()
        elif learning_rate is not None:
            raise ValueError(
                f"learning_rate={learning_rate!r} cannot be set: model {model.name!r} was not compiled when the "
                "snapshot was taken, so it holds no optimizer. Compile, then take keras_tl.snapshot(model)."
            )
        if weights is not None:
            weights = _check_weights(model, weights)
        if learning_rate is not None:
            _check_learning_rate(model, learning_rate)
        for layer, value in self.momentum:
            layer.momentum = value
        for variable, value in zip(self._saved, self.variables):
            variable.assign(value)
        if self.optimizer_state is not None:
            for variable, value in zip(model.optimizer.variables, self.optimizer_state):
                variable.assign(value)
        if weights is not None:
            model.set_weights(weights)
        if learning_rate is not None:
            model.optimizer.learning_rate.assign(float(learning_rate))
        return model

    def _check_same_optimizer(self) -> None:
        model = self.model
        if model.optimizer is not self.optimizer or len(model.optimizer.variables) != len(self.optimizer_state):
            raise ValueError(
                f"Model {model.name!r} was compiled again (or its optimizer rebuilt) after the snapshot: its optimizer "
                f"has {len(model.optimizer.variables)} variables, the snapshot {len(self.optimizer_state)}. "
                "Take a new keras_tl.snapshot(model) after compile."
            )
        if len(model.variables) != len(self.variables):
            raise ValueError(
                f"Model {model.name!r} has {len(model.variables)} variables, the snapshot {len(self.variables)}: it was "
                "built further after the snapshot. Take the snapshot once the model is built (e.g. after one batch)."
            )

    def __enter__(self) -> keras.Layer:
        return self.model

    def __exit__(self, *exc) -> None:
        self.restore()

    def __repr__(self) -> str:
        optimizer = "" if self.optimizer is None else f", optimizer {type(self.optimizer).__name__}"
        return (f"Snapshot({self.model.name!r}: {len(self.variables)} variables, {len(self.momentum)} BatchNorm"
                f"{optimizer})")


def snapshot(model: keras.Layer) -> Snapshot:
    """Save a model's weights (BatchNorm statistics included), BatchNorm momentum and, if compiled, optimizer state.

    ``snapshot(base).restore()`` undoes a run on a shared backbone before the
    next; ``with keras_tl.snapshot(base): ...`` does it on leaving the block.
    Taken after ``compile`` (the optimizer is built here if ``fit`` has not
    built it yet), it also restarts the optimizer at step 0, so the next
    ``fit`` reuses the traced step: no new trace. The values are copies. See
    the module's docstring for what a restore cannot change (a Python number
    the step reads, which layers train).

    Example:
        >>> import keras, numpy as np
        >>> x, y = np.random.default_rng(0).normal(size=(32, 3)), np.zeros((32, 2))
        >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        >>> model.compile(optimizer="adam", loss="mse")
        >>> start = snapshot(model)
        >>> keras.utils.set_random_seed(0)
        >>> first = model.fit(x, y, epochs=2, verbose=0).history["loss"]
        >>> step = model.train_function
        >>> _ = start.restore()
        >>> keras.utils.set_random_seed(0)
        >>> again = model.fit(x, y, epochs=2, verbose=0).history["loss"]   # the same run (bit for bit on TensorFlow)
        >>> bool(np.allclose(again, first)), model.train_function is step
        (True, True)

        A backbone, uncompiled, put back after a block that changed it:

        >>> base = keras.Sequential([keras.Input((4,)), keras.layers.BatchNormalization()])
        >>> with snapshot(base):
        ...     base.layers[0].momentum = 0.9
        ...     _ = base.layers[0].moving_mean.assign([1.0] * 4)
        >>> base.layers[0].momentum, base.layers[0].moving_mean.numpy().tolist()
        (0.99, [0.0, 0.0, 0.0, 0.0])
    """
    if not isinstance(model, keras.Layer):
        raise ValueError(f"model of type {type(model).__name__} is not allowed: give a keras.Model (or keras.Layer) "
                         "whose weights to save.")
    if not model.weights:  # a subclassed model of built layers (DeepCORAL) has weights while built is False
        raise ValueError(f"Model {model.name!r} is not built, so it has no weights to save: give it an Input "
                         "(or call it on a batch) first.")
    optimizer = getattr(model, "optimizer", None) if getattr(model, "compiled", False) else None
    state = None
    if optimizer is not None:
        if not optimizer.built:  # fit would build it with the same variables; build now to save its state
            optimizer.build(model.trainable_variables)
        state = _values(optimizer.variables)
    saved = list(model.variables)
    momentum = [(layer, float(layer.momentum)) for layer in _batchnorm_layers(model)]
    return Snapshot(model, _values(saved), state, optimizer, momentum, saved)


def _check_weights(model: keras.Model, weights: Sequence[np.ndarray]) -> list[np.ndarray]:
    if isinstance(weights, np.ndarray) or not isinstance(weights, (list, tuple)):
        raise ValueError(
            f"weights of type {type(weights).__name__} is not allowed: give a list of arrays, as model.get_weights() returns."
        )
    if len(weights) != len(model.weights):
        raise ValueError(
            f"weights has {len(weights)} arrays, model {model.name!r} has {len(model.weights)} weights: "
            "give a list as model.get_weights() returns for this architecture."
        )
    for i, (value, variable) in enumerate(zip(weights, model.weights)):
        if tuple(np.shape(value)) != tuple(variable.shape):
            raise ValueError(
                f"weights[{i}] has shape {tuple(np.shape(value))}, the model's {variable.path!r} has shape "
                f"{tuple(variable.shape)}: give weights from a model of the same architecture."
            )
    return list(weights)


def _check_learning_rate(model: keras.Model, learning_rate) -> None:
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, Real) or not (
        math.isfinite(float(learning_rate)) and learning_rate > 0
    ):
        raise ValueError(f"learning_rate={learning_rate!r} is not allowed: give a positive number, e.g. 1e-3.")
    if not isinstance(model.optimizer._learning_rate, keras.Variable):
        raise ValueError(
            f"learning_rate={learning_rate!r} cannot be set: the optimizer's rate is a "
            f"{type(model.optimizer._learning_rate).__name__}, not a number. Compile with a float learning rate."
        )
