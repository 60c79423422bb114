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
    """A tiny SavedModel with the TF-Hub BERT keyword signature, and a matching preprocessor."""

    import tensorflow as tf

    class TinyBert(tf.Module):
        def __init__(self):
            super().__init__()
            g = tf.random.Generator.from_seed(0)
            self.emb = tf.Variable(g.normal([VOCAB, HIDDEN]), name="emb")
            self.type_emb = tf.Variable(g.normal([2, HIDDEN]) * 0.1, name="encoder/type_emb")
            self.kernel = tf.Variable(g.normal([HIDDEN, HIDDEN]) * 0.3, name="encoder/dense/kernel")
            self.scale = tf.Variable(tf.ones([HIDDEN]), trainable=False, name="encoder/scale")
            self.all_variables = [self.emb, self.type_emb, self.kernel, self.scale]

        @tf.function(input_signature=[
            tf.TensorSpec([None, None], tf.int32, name=k) for k in ("input_word_ids", "input_mask", "input_type_ids")
        ])
        def serve(self, input_word_ids, input_mask, input_type_ids):
            x = tf.gather(self.emb, input_word_ids) + tf.gather(self.type_emb, input_type_ids)
            seq = tf.tanh(tf.einsum("bth,hk->btk", x, self.kernel)) * self.scale
            m = tf.cast(input_mask, tf.float32)[..., None]
            pooled = tf.tanh(tf.reduce_sum(seq * m, 1) / tf.maximum(tf.reduce_sum(m, 1), 1.0))
            return {"pooled_output": pooled, "sequence_output": seq}

    class TinyPreprocessor(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
        def __call__(self, text_batch):
            words = tf.strings.split(tf.strings.lower(text_batch))
            ids = tf.strings.to_hash_bucket_fast(words, VOCAB - 1) + 1
            ids = tf.cast(ids.to_tensor(default_value=0, shape=[None, SEQ]), tf.int32)  # truncates to SEQ
            return {"input_word_ids": ids, "input_mask": tf.cast(ids > 0, tf.int32), "input_type_ids": tf.zeros_like(ids)}

    enc, pre = TinyBert(), TinyPreprocessor()
    tf.saved_model.save(enc, str(folder / "encoder"), signatures={"serving_default": enc.serve})
    tf.saved_model.save(pre, str(folder / "preprocessor"))
    return str(folder / "encoder"), str(folder / "preprocessor")


@pytest.fixture(scope="session")
def tiny_hub(tmp_path_factory):
    """(encoder folder, preprocessor folder) of a tiny BERT-signature SavedModel."""
    return _build_tiny_bert(tmp_path_factory.mktemp("tiny_hub"))
