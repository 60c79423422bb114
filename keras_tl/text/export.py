"""Export a KerasHub BERT (and its preprocessor) as TF-Hub-format SavedModels, so the :class:`HubEncoder`
path runs on real weights without a network (:func:`export_tfhub`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import keras

from keras_tl.text.hub import BERT_INPUTS, _require_tensorflow

__all__ = ["export_tfhub", "export_tfhub_preprocessor"]

try:  # the text extra; HubEncoder and check_texts work without it
    import keras_hub as _hub
except ImportError:  # pragma: no cover - exercised only without the extra
    _hub = None


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
        >>> import numpy as np
        >>> from keras_tl import HubEncoder
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
