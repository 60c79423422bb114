"""BERT for text in Keras 3 (needs the ``text`` extra; ``keras_tl`` imports this on first use).

* :mod:`keras_tl.text.hub` -- TF-Hub SavedModels as a Keras 3 layer (:class:`HubEncoder`), :func:`check_texts`.
* :mod:`keras_tl.text.classifiers` -- KerasHub backbones, pooling and classifiers, text features.
* :mod:`keras_tl.text.minilm` -- the offline all-MiniLM-L6-v2 (:func:`load_minilm`).
* :mod:`keras_tl.text.export` -- a KerasHub BERT written as TF-Hub SavedModels.
* :mod:`keras_tl.text.sequences` -- token lengths, sequence-length advice, shuffled batches.
"""

from keras_tl.text.sequences import shuffled_batches, suggest_sequence_length, token_lengths
from keras_tl.text.hub import BERT_INPUTS, POOLINGS, EncoderUnavailableError, HubEncoder, check_texts
from keras_tl.text.classifiers import (
    BertPoolingClassifier,
    SequencePooling,
    encode_texts,
    keras_hub_classifier,
    pooled_encoder,
    random_weights_like,
    set_trainable_top_layers,
    text_features,
)
from keras_tl.text.minilm import load_minilm, minilm_path
from keras_tl.text.export import export_tfhub, export_tfhub_preprocessor

__all__ = [
    "shuffled_batches", "suggest_sequence_length", "token_lengths", "BERT_INPUTS", "POOLINGS",
    "EncoderUnavailableError", "HubEncoder", "check_texts", "BertPoolingClassifier", "SequencePooling",
    "encode_texts", "keras_hub_classifier", "pooled_encoder", "random_weights_like", "set_trainable_top_layers",
    "text_features", "load_minilm", "minilm_path", "export_tfhub", "export_tfhub_preprocessor",
]
