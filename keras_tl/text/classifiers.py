"""The maintained Keras 3 path for text: KerasHub BERT backbones with mean, CLS or pooler pooling, the top
``k`` transformer layers trainable, a classifier (:func:`keras_hub_classifier`), and features for a
linear probe (:func:`text_features`).
"""

from __future__ import annotations

import os
from typing import Any, Sequence

import keras
import numpy as np

from keras_tl.text.hub import POOLINGS, _keras_hub, _masked_mean, check_texts
from keras_tl.text.sequences import _check_sequence_length, shuffled_batches

__all__ = [
    "BertPoolingClassifier",
    "SequencePooling",
    "encode_texts",
    "keras_hub_classifier",
    "pooled_encoder",
    "random_weights_like",
    "set_trainable_top_layers",
    "text_features",
]

try:  # the text extra; HubEncoder and check_texts work without it
    import keras_hub as _hub
except ImportError:  # pragma: no cover - exercised only without the extra
    _hub = None


# --------------------------------------------------------------------------- #


@keras.saving.register_keras_serializable(package="keras_tl")
class SequencePooling(keras.layers.Layer):
    """One vector per text from token vectors: ``"mean"`` over real tokens or the ``"cls"`` token.

    Called as ``SequencePooling(mode)(sequence, padding_mask)``.

    Example:
        >>> seq = np.array([[[1.0, 1.0], [3.0, 3.0], [9.0, 9.0]]], "float32")
        >>> mask = np.array([[1, 1, 0]])
        >>> SequencePooling("mean")(seq, mask).numpy().tolist()
        [[2.0, 2.0]]
    """

    def __init__(self, mode: str = "mean", **kwargs: Any):
        if mode not in ("mean", "cls"):
            raise ValueError(f"mode={mode!r} is not allowed; allowed: 'mean', 'cls'.")
        super().__init__(**kwargs)
        self.mode = mode

    def call(self, sequence, padding_mask):
        if self.mode == "cls":
            return sequence[:, 0, :]
        return _masked_mean(sequence, padding_mask)

    def compute_output_shape(self, sequence_shape, padding_mask_shape=None):
        return (sequence_shape[0], sequence_shape[-1])

    def get_config(self) -> dict:
        return {**super().get_config(), "mode": self.mode}


def _check_pooling(pooling: str) -> str:
    if pooling not in POOLINGS:
        raise ValueError(f"pooling={pooling!r} is not allowed; allowed: {sorted(POOLINGS)}.")
    return pooling


def _pool(backbone: keras.Model, pooling: str):
    """Pooled KerasTensor from ``backbone.input`` (the graph KerasHub tasks build on)."""
    outputs = backbone(backbone.input)
    if pooling == "pooler":
        return outputs["pooled_output"]
    return SequencePooling(pooling, name=f"{pooling}_pool")(outputs["sequence_output"], backbone.input["padding_mask"])


def pooled_encoder(backbone: keras.Model, pooling: str = "mean", name: str | None = None) -> keras.Model:
    """A ``keras.Model`` from token inputs to one vector per text (see :data:`POOLINGS`).

    Shares the backbone's layers and weights; feed it the dict a KerasHub
    preprocessor makes (``token_ids``, ``padding_mask``, ``segment_ids``).

    Example:
        >>> import keras_hub
        >>> tiny = keras_hub.models.BertBackbone(vocabulary_size=30, num_layers=1, num_heads=2,
        ...     hidden_dim=8, intermediate_dim=16, max_sequence_length=16)
        >>> pooled_encoder(tiny, "cls").output_shape
        (None, 8)
    """
    _check_pooling(pooling)
    return keras.Model(backbone.input, _pool(backbone, pooling), name=name or f"{backbone.name}_{pooling}")



def _token_dataset(preprocessor, texts, batch_size: int):
    import tensorflow as tf

    texts = check_texts(texts)
    ds = tf.data.Dataset.from_tensor_slices(texts.astype(str).tolist()).batch(batch_size)
    return ds.map(preprocessor, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def encode_texts(encoder: keras.Model, preprocessor, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
    """Run ``encoder`` (e.g. :func:`pooled_encoder`) on ``texts`` tokenized by ``preprocessor``.

    Texts are validated by :func:`check_texts`; long ones are truncated to the
    preprocessor's ``sequence_length``.

    Example:
        >>> from keras_tl import load_minilm
        >>> backbone, pre = load_minilm(sequence_length=16)
        >>> encode_texts(pooled_encoder(backbone), pre, ["a fine kettle", "it broke"]).shape
        (2, 384)
    """
    return np.asarray(encoder.predict(_token_dataset(preprocessor, texts, batch_size), verbose=0))


def text_features(
    backbone: keras.Model, preprocessor, texts: Sequence[str], pooling: str = "mean", batch_size: int = 32,
) -> np.ndarray:
    """Frozen-encoder features: one vector per text, pooled as ``pooling`` (see :data:`POOLINGS`).

    Example:
        >>> from keras_tl import load_minilm
        >>> backbone, pre = load_minilm(sequence_length=16)
        >>> text_features(backbone, pre, ["great", "awful"], pooling="cls").shape
        (2, 384)
    """
    return encode_texts(pooled_encoder(backbone, pooling), preprocessor, texts, batch_size)


def set_trainable_top_layers(backbone: keras.Model, k: int | None, train_pooler: bool = False) -> keras.Model:
    """Freeze a KerasHub BERT backbone except its top ``k`` transformer layers.

    ``k=None`` trains every layer, ``k=0`` none. The pooler (``pooled_dense``)
    trains only with ``train_pooler=True``: when the classifier mean-pools
    it gets no gradient, and leaving it trainable only earns a warning.

    Example:
        >>> import keras_hub
        >>> tiny = keras_hub.models.BertBackbone(vocabulary_size=30, num_layers=3, num_heads=2,
        ...     hidden_dim=8, intermediate_dim=16, max_sequence_length=16)
        >>> _ = set_trainable_top_layers(tiny, 1)
        >>> [layer.name for layer in tiny.layers if layer.trainable and layer.weights]
        ['transformer_layer_2']
    """
    blocks = [layer for layer in backbone.layers if layer.name.startswith("transformer_layer_")]
    if k is not None and (not isinstance(k, (int, np.integer)) or not 0 <= k <= len(blocks)):
        raise ValueError(f"k={k!r} is not allowed: give None (all layers) or an int in 0..{len(blocks)}.")
    backbone.trainable = True
    top = set(id(b) for b in (blocks if k is None else blocks[len(blocks) - k:]))
    for layer in backbone.layers:
        if layer.name == "pooled_dense":
            layer.trainable = bool(train_pooler)
        elif k is None:
            layer.trainable = True
        else:
            layer.trainable = id(layer) in top
    return backbone


def random_weights_like(backbone: keras.Model, seed: int = 0) -> keras.Model:
    """The same BERT architecture with fresh random weights (the baseline pretraining must beat).

    Example:
        >>> import keras_hub
        >>> tiny = keras_hub.models.BertBackbone(vocabulary_size=30, num_layers=1, num_heads=2,
        ...     hidden_dim=8, intermediate_dim=16, max_sequence_length=16)
        >>> random_weights_like(tiny).count_params() == tiny.count_params()
        True
    """
    keras.utils.set_random_seed(seed)
    return backbone.__class__.from_config(backbone.get_config())


if _hub is not None:

    @keras.saving.register_keras_serializable(package="keras_tl")
    class BertPoolingClassifier(_hub.models.TextClassifier):
        """A KerasHub text classifier: BERT backbone, mean/CLS/pooler pooling, dropout, softmax head.

        A real ``keras.Model`` (a KerasHub ``Task``): ``fit`` and ``predict``
        take raw strings (use :func:`check_texts`) and run the preprocessor in
        ``tf.data``; ``save``/``keras.models.load_model`` keep the tokenizer's
        vocabulary. Build it with :func:`keras_hub_classifier`.

        Example:
            >>> tiny = _hub.models.BertBackbone(vocabulary_size=30, num_layers=1, num_heads=2,
            ...     hidden_dim=8, intermediate_dim=16, max_sequence_length=16)
            >>> BertPoolingClassifier(tiny, 3, pooling="cls").output_shape
            (None, 3)
        """

        backbone_cls = _hub.models.BertBackbone
        preprocessor_cls = _hub.models.BertTextClassifierPreprocessor

        def __init__(self, backbone, num_classes, preprocessor=None, pooling="mean", dropout=0.1, **kwargs):
            _check_pooling(pooling)
            self.backbone = backbone
            self.preprocessor = preprocessor
            self.output_dropout = keras.layers.Dropout(dropout, name="classifier_dropout")
            self.output_dense = keras.layers.Dense(num_classes, activation="softmax", name="head")
            pooled = _pool(backbone, pooling)
            outputs = self.output_dense(self.output_dropout(pooled))
            # Skip TextClassifier.__init__ (it builds no graph); Task/keras.Model take the functional graph.
            super(_hub.models.TextClassifier, self).__init__(inputs=backbone.input, outputs=outputs, **kwargs)
            self.num_classes = num_classes
            self.pooling = pooling
            self.dropout = dropout
            self.activation = keras.activations.get("softmax")

        def get_config(self):
            config = super().get_config()
            config.update(num_classes=self.num_classes, pooling=self.pooling, dropout=self.dropout)
            return config

        def fit(self, x=None, y=None, batch_size=None, sample_weight=None, shuffle=True, validation_split=None,
                validation_data=None, **kwargs):
            """``keras.Model.fit`` on strings, **shuffled every epoch** when ``shuffle=True`` (the default).

            KerasHub's own ``fit`` batches the texts in the order given and Keras
            then ignores ``shuffle`` (with a warning); here arrays and lists are
            shuffled by :func:`shuffled_batches` (seeded by ``keras.utils.set_random_seed``)
            before the preprocessor runs. A ``tf.data.Dataset`` keeps its own order.
            ``validation_split`` takes the *last* fraction, as in Keras, before shuffling.
            """
            is_dataset = not isinstance(x, (list, tuple, np.ndarray)) and not hasattr(x, "__array__")
            if validation_split and validation_data is None and not is_dataset:
                n = len(x)
                cut = n - int(round(n * validation_split))
                if not 0 < cut < n:
                    raise ValueError(f"validation_split={validation_split!r} leaves no training or no validation "
                                     f"texts out of {n}.")
                take = lambda v, part: None if v is None else v[part]  # noqa: E731
                validation_data = tuple(v for v in (take(np.asarray(x, object), slice(cut, None)), take(np.asarray(y), slice(cut, None)),
                                                    take(None if sample_weight is None else np.asarray(sample_weight), slice(cut, None))) if v is not None)
                x = np.asarray(x, object)[:cut]
                y = None if y is None else np.asarray(y)[:cut]
                sample_weight = None if sample_weight is None else np.asarray(sample_weight)[:cut]
            if shuffle and not is_dataset:
                x, y, sample_weight = shuffled_batches(x, y, sample_weight, batch_size=batch_size), None, None
                batch_size = None
            return super().fit(x, y, batch_size=batch_size, sample_weight=sample_weight, shuffle=False,
                               validation_data=validation_data, **kwargs)

else:  # pragma: no cover - only without the text extra

    def BertPoolingClassifier(*args: Any, **kwargs: Any):  # noqa: N802 - stands in for the class
        """Needs keras-hub (the ``text`` extra)."""
        _keras_hub()


def keras_hub_classifier(
    preset_or_backbone: str | os.PathLike | keras.Model,
    n_classes: int,
    preprocessor=None,
    pooling: str = "mean",
    trainable_layers: int | None = 0,
    dropout: float = 0.1,
    sequence_length: int = 128,
    seed: int | None = None,
) -> keras.Model:
    """A text classifier on a KerasHub BERT backbone: strings in, class probabilities out.

    ``preset_or_backbone`` is a KerasHub preset name (``"bert_tiny_en_uncased"``,
    downloaded the first time), a local preset or Hugging Face folder (e.g.
    :func:`minilm_path`), or a ``BertBackbone`` (then give ``preprocessor``).
    ``pooling`` is one of :data:`POOLINGS`. ``trainable_layers``: ``0``
    (the default) trains only the head (feature extraction), ``k`` the top
    ``k`` transformer layers too, ``None`` everything
    (:func:`set_trainable_top_layers`). A backbone passed in is used, not
    copied: load a fresh one per experiment. Texts longer than
    ``sequence_length`` tokens are truncated, shorter ones padded (and the
    padding is paid for: pick the length with :func:`suggest_sequence_length`).
    ``fit`` on the returned model shuffles the texts every epoch. ``seed`` (optional) seeds the new head's weights.

    Example:
        >>> from keras_tl import minilm_path
        >>> model = keras_hub_classifier(minilm_path(), n_classes=2, sequence_length=16)
        >>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        >>> model.predict(check_texts(["works well", "broke at once"]), verbose=0).shape
        (2, 2)
    """
    hub = _keras_hub()
    _check_pooling(pooling)
    if not isinstance(n_classes, (int, np.integer)) or n_classes < 2:
        raise ValueError(f"n_classes={n_classes!r} is not allowed: a classifier needs at least 2 classes.")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout={dropout!r} is not allowed: give a rate in [0, 1).")
    sequence_length = _check_sequence_length(sequence_length)
    if isinstance(preset_or_backbone, keras.Model):
        backbone = preset_or_backbone
        if preprocessor is None:
            raise ValueError("A backbone was given without preprocessor=; pass the matching KerasHub preprocessor.")
    elif isinstance(preset_or_backbone, (str, os.PathLike)):
        preset = str(preset_or_backbone)
        backbone = hub.models.BertBackbone.from_preset(preset)
        if preprocessor is None:
            tokenizer = hub.models.BertTokenizer.from_preset(preset)
            preprocessor = hub.models.BertTextClassifierPreprocessor(tokenizer, sequence_length=sequence_length)
    else:
        raise ValueError(
            f"preset_or_backbone of type {type(preset_or_backbone).__name__} is not allowed: give a preset name, "
            "a preset folder or a keras_hub BertBackbone."
        )
    set_trainable_top_layers(backbone, trainable_layers, train_pooler=(pooling == "pooler"))
    if seed is not None:
        keras.utils.set_random_seed(seed)
    return BertPoolingClassifier(backbone, int(n_classes), preprocessor=preprocessor, pooling=pooling, dropout=dropout)
