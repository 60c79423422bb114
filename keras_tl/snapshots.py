"""Put a model back as it was: its weights (BatchNorm statistics included) and its BatchNorm momentum.

A notebook that runs several recipes on one pretrained backbone (fine-tune the top blocks, then train
BatchNorm at another momentum, then unfreeze everything) has to undo each run before the next. In plain
Keras that is ``base.set_weights(saved)`` and a loop that puts ``layer.momentum`` back on every
``BatchNormalization`` layer (training BatchNorm at another momentum changes the shared layers).
:func:`snapshot` records both once; :meth:`ModelSnapshot.restore` puts them back, and
``with keras_tl.snapshot(base):`` restores on leaving the block, also after an error.

What is not recorded: which layers train (``freeze_to``, ``fine_tune`` and ``top_model`` set that for
each run), the optimizer (compile again), and variables created after the snapshot (``enable_lora``
adds some: a fresh copy of the model is then the clean start).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import keras
import numpy as np


def _layers(model: keras.Layer) -> list[keras.Layer]:
    """The model and every layer inside it (each once)."""
    out, seen, todo = [], set(), [model]
    while todo:
        layer = todo.pop(0)
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        out.append(layer)
        todo.extend(getattr(layer, "layers", []) or [])
    return out


@dataclass
class ModelSnapshot:
    """What :func:`snapshot` recorded of ``model``; :meth:`restore` puts it back.

    ``weights`` pairs each variable with its value, ``momentum`` each BatchNorm layer with its
    momentum. Used as a context manager, it restores the model on leaving the block.
    """

    model: keras.Layer
    weights: list = field(repr=False)
    momentum: list = field(repr=False)

    def restore(self) -> keras.Layer:
        """Put the recorded weights and BatchNorm momentum back; return the model.

        Example:
            >>> import keras, keras_tl
            >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
            >>> saved = keras_tl.snapshot(model)
            >>> model.set_weights([w + 1 for w in model.get_weights()])
            >>> _ = saved.restore()
            >>> bool((model.layers[0].bias.numpy() == 0).all())
            True
        """
        for layer, value in self.momentum:
            layer.momentum = value
        for variable, value in self.weights:
            variable.assign(value)
        return self.model

    def __enter__(self) -> keras.Layer:
        return self.model

    def __exit__(self, *exc) -> None:
        self.restore()

    def __repr__(self) -> str:
        return (f"ModelSnapshot({self.model.name!r}: {len(self.weights)} variables, {len(self.momentum)} BatchNorm)")


def snapshot(model: keras.Layer) -> ModelSnapshot:
    """Record ``model``'s weights (BatchNorm moving statistics included) and BatchNorm ``momentum``.

    ``snapshot(base).restore()`` undoes a fine-tuning run (weights, statistics, momentum) before the
    next; ``with keras_tl.snapshot(base): ...`` does it on leaving the block. The values are copies,
    so training the model does not change them. Which layers train is not recorded: set it for each
    run (``freeze_to``, ``fine_tune``, ``top_model``), and compile again.

    Example:
        >>> import keras, keras_tl
        >>> model = keras.Sequential([keras.Input((4,)), keras.layers.BatchNormalization(), keras.layers.Dense(2)])
        >>> with keras_tl.snapshot(model):
        ...     model.layers[0].momentum = 0.9
        ...     _ = model.layers[0].moving_mean.assign([1.0] * 4)
        >>> model.layers[0].momentum, model.layers[0].moving_mean.numpy().tolist()
        (0.99, [0.0, 0.0, 0.0, 0.0])
    """
    if not isinstance(model, keras.Layer):
        raise ValueError(f"model of type {type(model).__name__} is not allowed: give a keras.Model or keras.Layer "
                         "(the model whose weights and BatchNorm momentum to record).")
    if not model.built:
        raise ValueError(f"model {model.name!r} is not built, so it has no weights to record: "
                         "call it on an input (or give it keras.Input) first.")
    weights = [(v, np.array(keras.ops.convert_to_numpy(v), copy=True)) for v in model.weights]
    momentum = [(layer, float(layer.momentum)) for layer in _layers(model)
                if isinstance(layer, keras.layers.BatchNormalization)]
    return ModelSnapshot(model, weights, momentum)
