import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def fashion():
    from keras_tl import fashion_mnist

    return fashion_mnist()


@pytest.fixture(scope="session")
def digits_data():
    from keras_tl import digits

    return digits()


VOCAB, HIDDEN, SEQ = 40, 8, 6


def _build_tiny_bert(folder):
    """A tiny TF-Hub-style BERT SavedModel, and a matching preprocessor.

    Like the published TF-Hub BERT encoders it has both interfaces: the reusable-SavedModel call
    ``obj(dict_of_tokens, training=...)`` with ``obj.variables`` (dropout when training), and a
    ``serving_default`` signature with keyword inputs. The ``/`` and ``:0`` in its variable names
    are what Keras rejects.
    """
    import tensorflow as tf

    keys = ("input_word_ids", "input_mask", "input_type_ids")
    g = tf.random.Generator.from_seed(0)
    enc = tf.train.Checkpoint()
    enc.emb = tf.Variable(g.normal([VOCAB, HIDDEN]), name="emb")
    enc.type_emb = tf.Variable(g.normal([2, HIDDEN]) * 0.1, name="encoder/type_emb")
    enc.kernel = tf.Variable(g.normal([HIDDEN, HIDDEN]) * 0.3, name="encoder/dense/kernel")
    enc.scale = tf.Variable(tf.ones([HIDDEN]), trainable=False, name="encoder/scale")
    enc.variables = [enc.emb, enc.type_emb, enc.kernel, enc.scale]       # saved, so the loaded model lists them
    enc.trainable_variables = [enc.emb, enc.type_emb, enc.kernel]

    def encode(input_word_ids, input_mask, input_type_ids, training):
        x = tf.gather(enc.emb, input_word_ids) + tf.gather(enc.type_emb, input_type_ids)
        seq = tf.tanh(tf.einsum("bth,hk->btk", x, enc.kernel)) * enc.scale
        if training:
            seq = tf.nn.dropout(seq, rate=0.5)
        m = tf.cast(input_mask, tf.float32)[..., None]
        pooled = tf.tanh(tf.reduce_sum(seq * m, 1) / tf.maximum(tf.reduce_sum(m, 1), 1.0))
        return {"pooled_output": pooled, "sequence_output": seq}

    @tf.function
    def call(inputs, training=False):
        return encode(*(inputs[k] for k in keys), training)

    spec = {k: tf.TensorSpec([None, None], tf.int32) for k in keys}
    for training in (True, False):
        call.get_concrete_function(spec, training=training)
    enc.__call__ = call

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32, name=k) for k in keys])
    def serve(input_word_ids, input_mask, input_type_ids):
        return encode(input_word_ids, input_mask, input_type_ids, False)

    class TinyPreprocessor(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
        def __call__(self, text_batch):
            words = tf.strings.split(tf.strings.lower(text_batch))
            ids = tf.strings.to_hash_bucket_fast(words, VOCAB - 1) + 1
            ids = tf.cast(ids.to_tensor(default_value=0, shape=[None, SEQ]), tf.int32)  # truncates to SEQ
            return {"input_word_ids": ids, "input_mask": tf.cast(ids > 0, tf.int32), "input_type_ids": tf.zeros_like(ids)}

    tf.saved_model.save(enc, str(folder / "encoder"), signatures={"serving_default": serve})
    tf.saved_model.save(TinyPreprocessor(), str(folder / "preprocessor"))
    return str(folder / "encoder"), str(folder / "preprocessor")


@pytest.fixture(scope="session")
def tiny_hub(tmp_path_factory):
    """(encoder folder, preprocessor folder) of a tiny BERT-signature SavedModel."""
    return _build_tiny_bert(tmp_path_factory.mktemp("tiny_hub"))
