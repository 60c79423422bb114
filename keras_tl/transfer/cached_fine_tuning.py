"""Fine-tune the top blocks of a pretrained backbone on cached activations of its frozen lower part.

Fine-tuning the top of a network the Keras way (``layer.trainable = False`` on
the lower layers, ``compile``, ``fit``) still runs the *whole* network forward on
every step, although the frozen lower part gives the same activations every
epoch. When the inputs are not augmented, those activations can be computed
once and the top blocks trained on them: the same gradients, without the
repeated forward passes through the lower layers (``benchmarks/cached_fine_tuning.py``
measures the speed-up).

* :func:`split_points` lists where a functional backbone can be cut: after a
  layer whose output is the *only* tensor that later layers read. MobileNetV2's
  residual ``Add`` layers read the output of the block before, so inside a block
  two tensors cross the cut; at a block's output (``block_12_add``,
  ``block_13_project_BN``...) only one does.
* :func:`split_backbone` cuts there: ``lower`` (the frozen part, input to the
  cut) and ``upper`` (the cut to the output), two real functional
  ``keras.Model``\\ s that *share* the backbone's layers and weights: training
  ``upper`` changes the backbone, so ``lower`` followed by the fine-tuned
  ``upper`` is the fine-tuned network, taking images.
* :func:`cached_activations` runs ``lower`` once (``predict``).
* :func:`top_model` puts a new head on ``upper`` (pooling, dropout, softmax) and
  sets its BatchNorm layers: the student compiles and fits it on the cached
  activations.

No augmentation on this path: an augmented image gives new lower activations
on every epoch, and the cache holds those of the originals only. Augment in
front of the whole network instead (plain Keras), at the full cost.

BatchNorm (``batchnorm=``): ``"frozen"`` (the default) keeps every BatchNorm
layer of ``upper`` in inference mode with the statistics it has (ImageNet's, or
the target's after :func:`keras_tl.adapt_batchnorm`), as the Keras guide does;
``"train"`` trains them, with batch statistics in each step and the moving
statistics updated at ``momentum`` (0.9 here: Keras's default 0.99, or the
0.999 of Keras's MobileNetV2, barely leaves ImageNet's statistics in a few
hundred steps, and the model then scores with statistics that do not match
what it learnt). Frozen is the default: the Keras guide's choice, it costs
nothing extra, and it keeps the statistics the pretrained weights were
trained with; notebook 19 measures it against statistics re-estimated on the
target (:func:`keras_tl.adapt_batchnorm`) and trained at momentum 0.9 and 0.999
(128 px, 3 seeds: 0.843, 0.830, 0.833 and 0.747).
Train the top blocks at a low rate (Adam 1e-4) after a head has learnt on the
frozen features: at 1e-3 from a new head, MobileNetV2's top blocks collapsed
to the majority class on the solar cells.

Example:
    >>> import keras, numpy as np
    >>> backbone = keras.applications.MobileNetV2(weights=None, input_shape=(32, 32, 3), alpha=0.35,
    ...                                           include_top=False, pooling="avg")
    >>> lower, upper = split_backbone(backbone, "block_12_add")
    >>> acts = cached_activations(lower, np.zeros((4, 32, 32, 3), "float32"))
    >>> acts.shape, upper.output_shape
    ((4, 2, 2, 32), (None, 1280))
    >>> model = top_model(upper, n_classes=2)
    >>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    >>> model.fit(acts, np.array([0, 1, 0, 1]), epochs=1, verbose=0).history["loss"][0] > 0
    True
"""

from __future__ import annotations

import warnings

import keras
import numpy as np

from keras_tl.core.data_input import as_arrays, is_dataset
from keras_tl.core.validation import check_model_input

__all__ = ["BATCHNORM_MODES", "split_points", "split_backbone", "cached_activations", "top_model"]

#: ``top_model(batchnorm=...)``: keep the BatchNorm layers in inference mode, or train them.
BATCHNORM_MODES = ("frozen", "train")


def _check_functional(backbone) -> keras.Model:
    """``backbone`` as a functional model (a built Sequential is viewed as one: same layers)."""
    if not isinstance(backbone, keras.Model):
        raise ValueError(f"backbone of type {type(backbone).__name__} is not allowed: give a keras.Model "
                         "(a functional or Sequential model such as keras.applications.MobileNetV2).")
    if isinstance(backbone, keras.Sequential) and getattr(backbone, "_functional", None) is not None:
        backbone = keras.Model(backbone.inputs, backbone.outputs, name=backbone.name)
    if not hasattr(backbone, "_operations") or not getattr(backbone, "inputs", None):
        raise ValueError(f"backbone {backbone.name!r} is a subclassed model: only a functional or Sequential "
                         "keras.Model (with inputs and outputs) can be split.")
    if len(backbone.inputs) != 1 or len(backbone.outputs) != 1:
        raise ValueError(f"backbone {backbone.name!r} has {len(backbone.inputs)} inputs and {len(backbone.outputs)} "
                         "outputs: only a model with one input and one output can be split.")
    return backbone


def _producers(layer) -> set:
    """The layers whose outputs ``layer`` reads (from its first call)."""
    nodes = getattr(layer, "_inbound_nodes", [])
    if not nodes:
        return set()
    return {t._keras_history[0] for t in keras.tree.flatten(nodes[0].input_tensors)}


def split_points(backbone: keras.Model) -> list[str]:
    """The names of the layers after which ``backbone`` can be split: only that layer's output crosses the cut.

    A residual block reads the tensor from before the block twice (the branch and
    the shortcut), so a cut inside it would have two tensors crossing; a cut at a
    block's output has one. The input layer and the last layer are not split points.

    Example:
        >>> import keras
        >>> backbone = keras.applications.MobileNetV2(weights=None, input_shape=(32, 32, 3), alpha=0.35,
        ...                                           include_top=False)
        >>> points = split_points(backbone)
        >>> "block_12_add" in points, "block_13_project_BN" in points, "block_12_expand_relu" in points
        (True, True, False)
    """
    backbone = _check_functional(backbone)
    layers = backbone.layers
    index = {id(layer): i for i, layer in enumerate(layers)}
    reads = [{index[id(p)] for p in _producers(layer) if id(p) in index} for layer in layers]
    out_layer = index.get(id(backbone.outputs[0]._keras_history[0]))
    allowed = []
    for i in range(1, len(layers) - 1):
        if len(keras.tree.flatten(layers[i].output)) != 1 or i == out_layer:
            continue
        crossing = {p for j in range(i + 1, len(layers)) for p in reads[j] if p <= i}
        if crossing == {i}:
            allowed.append(layers[i].name)
    return allowed


def split_backbone(backbone: keras.Model, at_layer: str) -> tuple[keras.Model, keras.Model]:
    """Cut ``backbone`` after the layer ``at_layer``: ``(lower, upper)``, two functional models that share its layers.

    ``lower`` maps the backbone's input to ``at_layer``'s output and is frozen
    (``lower.trainable = False``); ``upper`` maps that output to the backbone's
    output. Both reuse the backbone's layer objects (``keras.Model(tensor, tensor)``
    on the backbone's own graph), so ``upper(lower(x))`` equals ``backbone(x)``
    and training ``upper`` fine-tunes the backbone's top layers in place.
    ``at_layer`` must be one of :func:`split_points`; any other name raises a
    ``ValueError`` that lists them.

    Example:
        >>> import keras, numpy as np
        >>> backbone = keras.applications.MobileNetV2(weights=None, input_shape=(32, 32, 3), alpha=0.35,
        ...                                           include_top=False, pooling="avg")
        >>> lower, upper = split_backbone(backbone, "block_12_add")
        >>> x = np.random.default_rng(0).normal(size=(2, 32, 32, 3)).astype("float32")
        >>> bool(np.allclose(upper.predict(lower.predict(x, verbose=0), verbose=0), backbone.predict(x, verbose=0),
        ...                  atol=1e-5))
        True
    """
    backbone = _check_functional(backbone)
    points = split_points(backbone)
    names = [layer.name for layer in backbone.layers]
    if not isinstance(at_layer, str) or at_layer not in points:
        why = ("is not a layer of this backbone" if at_layer not in names else
               "is inside a block: more than one tensor crosses a cut there (a residual shortcut)")
        raise ValueError(f"at_layer={at_layer!r} {why}. Allowed split layers of {backbone.name!r} "
                         f"({len(points)}): {points}")
    cut = backbone.get_layer(at_layer).output
    lower = keras.Model(backbone.inputs[0], cut, name=f"{backbone.name}_to_{at_layer}")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*inputs.*")
        upper = keras.Model(cut, backbone.outputs[0], name=f"{backbone.name}_after_{at_layer}")
    lower.trainable = False
    return lower, upper


def cached_activations(lower: keras.Model, x, batch_size: int = 128, verbose: int | str = 0) -> np.ndarray:
    """Run the frozen ``lower`` once over ``x`` (``lower.predict``): the activations to train ``upper`` on.

    ``x``: inputs as ``lower`` takes them (preprocessed images), an array or a
    finite dataset of ``x`` or ``(x, y)`` batches. Valid as a training set only
    while ``lower`` stays frozen and the inputs are not augmented.

    Example:
        >>> import keras, numpy as np
        >>> backbone = keras.applications.MobileNetV2(weights=None, input_shape=(32, 32, 3), alpha=0.35,
        ...                                           include_top=False)
        >>> lower, _ = split_backbone(backbone, "block_5_add")
        >>> cached_activations(lower, np.zeros((3, 32, 32, 3), "float32")).shape
        (3, 4, 4, 16)
    """
    if not isinstance(lower, keras.Model):
        raise ValueError(f"lower of type {type(lower).__name__} is not allowed: give the keras.Model "
                         "that split_backbone returned first.")
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size={batch_size!r} is not allowed: give an int >= 1.")
    if lower.trainable_weights:
        raise ValueError(f"lower {lower.name!r} has {len(lower.trainable_weights)} trainable weights: cached "
                         "activations are only valid for a frozen lower part (lower.trainable = False).")
    if is_dataset(x):
        x = as_arrays(x, name="x")[0]
    x = check_model_input(lower, x)
    return np.asarray(lower.predict(x, batch_size=int(batch_size), verbose=verbose))


def top_model(
    upper: keras.Model,
    n_classes: int,
    dropout: float = 0.2,
    batchnorm: str = "frozen",
    momentum: float = 0.9,
    name: str = "top_blocks_and_head",
) -> keras.Model:
    """``upper`` plus a new head (global average pooling if needed, dropout, softmax), uncompiled.

    The model takes cached activations (``upper``'s input); every layer of
    ``upper`` is made trainable except, with ``batchnorm="frozen"`` (the
    default), its BatchNorm layers, which then run in inference mode with the
    statistics they hold. ``batchnorm="train"`` trains them and sets their
    ``momentum`` (kept on the shared layers afterwards). Compile and fit it
    yourself; ``keras.Sequential([lower, model])`` is then the whole classifier.

    Example:
        >>> import keras
        >>> backbone = keras.applications.MobileNetV2(weights=None, input_shape=(32, 32, 3), alpha=0.35,
        ...                                           include_top=False)
        >>> lower, upper = split_backbone(backbone, "block_15_add")
        >>> model = top_model(upper, n_classes=3)
        >>> model.output_shape, any(l.trainable for l in upper.layers
        ...                         if isinstance(l, keras.layers.BatchNormalization))
        ((None, 3), False)
    """
    if not isinstance(upper, keras.Model):
        raise ValueError(f"upper of type {type(upper).__name__} is not allowed: give the keras.Model "
                         "that split_backbone returned second.")
    if isinstance(n_classes, bool) or not isinstance(n_classes, (int, np.integer)) or n_classes < 2:
        raise ValueError(f"n_classes={n_classes!r} is not allowed: a classifier needs an int >= 2.")
    if batchnorm not in BATCHNORM_MODES:
        raise ValueError(f"batchnorm={batchnorm!r} is not allowed: use one of {list(BATCHNORM_MODES)}.")
    if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) or not 0 < momentum < 1:
        raise ValueError(f"momentum={momentum!r} is not allowed: give a number between 0 and 1, e.g. 0.9.")
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
        raise ValueError(f"dropout={dropout!r} is not allowed: give a rate in [0, 1).")
    upper.trainable = True
    for layer in upper.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = batchnorm == "train"
            if batchnorm == "train":
                layer.momentum = float(momentum)
    inputs = keras.Input(upper.input_shape[1:], name="activations")
    h = upper(inputs)
    if len(h.shape) == 4:
        h = keras.layers.GlobalAveragePooling2D(name="pool")(h)
    if dropout:
        h = keras.layers.Dropout(float(dropout), name="dropout")(h)
    outputs = keras.layers.Dense(int(n_classes), activation="softmax", name="predictions")(h)
    return keras.Model(inputs, outputs, name=name)
