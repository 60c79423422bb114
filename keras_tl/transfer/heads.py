"""Reuse a trained network: cut it at a layer and freeze it, put a new head on it, or keep only its
architecture (fresh random weights, the baseline every comparison needs).

Every function takes and returns real Keras models, so what it did can be checked with
``model.summary()`` and ``layer.trainable``.

Example:
    >>> import keras_tl
    >>> source = keras_tl.build_source_cnn(n_classes=5)
    >>> base = keras_tl.feature_extractor(source, "flatten")
    >>> model = keras_tl.add_head(base, n_classes=3)
    >>> model.output_shape, base.trainable
    ((None, 3), False)
"""

from __future__ import annotations

import keras

__all__ = ["add_head", "architecture_only", "feature_extractor", "replace_head", "set_trainable"]


def set_trainable(model: keras.Layer, trainable: bool) -> keras.Layer:
    """Set ``trainable`` on ``model`` and on every layer inside it, nested models included.

    Keras propagates ``model.trainable = value`` to sublayers only when the
    flag changes, so a clone of a frozen model can report ``trainable=True``
    while its layers stay frozen. This sets each layer explicitly.

    Example:
        >>> from keras_tl import build_source_cnn
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
        >>> from keras_tl import build_source_cnn
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
        >>> from keras_tl import load_backbone
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
        >>> from keras_tl import build_source_cnn
        >>> trained = build_source_cnn()
        >>> fresh = architecture_only(trained, seed=0)
        >>> fresh.count_params() == trained.count_params()
        True
    """
    if seed is not None:
        keras.utils.set_random_seed(seed)
    return set_trainable(keras.models.clone_model(model), trainable)




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
