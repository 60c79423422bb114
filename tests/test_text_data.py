"""keras_tl.text.sequences: a sequence length read off the texts, and text batches shuffled every epoch (no Keras warning)."""

import warnings

import numpy as np
import pytest

keras_hub = pytest.importorskip("keras_hub", reason="the text extra (keras-hub) is not installed")

import keras  # noqa: E402

from keras_tl.text.classifiers import keras_hub_classifier
from keras_tl.text.hub import check_texts
from keras_tl.text.sequences import shuffled_batches, suggest_sequence_length, token_lengths


def words(texts):
    return [t.split() for t in texts]


def test_token_lengths_count_cls_and_sep():
    assert token_lengths(["a b c", "d"], words).tolist() == [5, 3]


def test_suggested_length_is_a_rounded_percentile():
    texts = ["w " * n for n in range(1, 101)]          # 3..102 tokens with [CLS] and [SEP]
    assert suggest_sequence_length(texts, words, percentile=50) == 56      # 52.5 -> 53 -> 56
    assert suggest_sequence_length(texts, words, percentile=100) == 104
    assert suggest_sequence_length(texts, words, percentile=100, maximum=64) == 64


def test_suggested_length_reads_a_keras_hub_preprocessor():
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "good", "film"]
    pre = keras_hub.models.BertTextClassifierPreprocessor(keras_hub.models.BertTokenizer(vocabulary=vocab), sequence_length=4)
    assert token_lengths(["good film film", "good"], pre).tolist() == [5, 3]     # not truncated to 4


def test_shuffled_batches_reshuffle_every_epoch_and_keep_every_sample():
    ds = shuffled_batches(check_texts([f"t{i}" for i in range(64)]), np.arange(64), batch_size=8, seed=1)
    first = [int(v) for _, yb in ds for v in yb.numpy()]
    second = [int(v) for _, yb in ds for v in yb.numpy()]
    assert sorted(first) == sorted(second) == list(range(64))
    assert first != list(range(64)) and first != second


@pytest.fixture(scope="module")
def tiny_classifier_parts():
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "good", "bad", "film"]
    pre = keras_hub.models.BertTextClassifierPreprocessor(keras_hub.models.BertTokenizer(vocabulary=vocab), sequence_length=8)
    return vocab, pre


def test_classifier_fit_shuffles_without_the_keras_warning(tiny_classifier_parts):
    vocab, pre = tiny_classifier_parts
    tiny = keras_hub.models.BertBackbone(vocabulary_size=len(vocab), num_layers=1, num_heads=2, hidden_dim=8,
                                         intermediate_dim=16, max_sequence_length=16)
    model = keras_hub_classifier(tiny, 2, preprocessor=pre, seed=0)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = check_texts(["good film", "bad film"] * 8), np.array([1, 0] * 8)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = model.fit(x, y, epochs=2, batch_size=4, verbose=0, validation_split=0.25)
        model.fit(x, y, epochs=1, batch_size=4, verbose=0, validation_data=(x, y), shuffle=False)
    assert not [w for w in caught if "shuffle" in str(w.message)], [str(w.message) for w in caught]
    assert len(history.history["loss"]) == 2 and "val_accuracy" in history.history
    assert isinstance(model, keras.Model)
