"""keras_tl.check_fit: the mistakes that make model.fit fail (or train on garbage), caught first with a fix."""

import keras
import numpy as np
import pytest

import keras_tl

RNG = np.random.default_rng(0)
X = RNG.integers(0, 255, (6, 16, 16, 3)).astype("uint8")
Y = np.array([0, 1, 2, 0, 1, 2])


def small(loss="sparse_categorical_crossentropy", preprocess=False, n_out=3):
    inputs = keras.Input((16, 16, 3))
    h = keras_tl.Preprocess("MobileNetV2")(inputs) if preprocess else inputs
    h = keras.layers.Conv2D(2, 3)(h)
    outputs = keras.layers.Dense(n_out, activation="softmax")(keras.layers.GlobalAveragePooling2D()(h))
    model = keras.Model(inputs, outputs)
    if loss:
        model.compile(optimizer="adam", loss=loss)
    return model


def test_fine_inputs_return_none():
    assert keras_tl.check_fit(small(), X, Y) is None
    assert keras_tl.check_fit(small(loss=None), X, Y) is None
    assert keras_tl.check_fit(small("categorical_crossentropy"), X, np.eye(3)[Y]) is None
    assert keras_tl.check_fit(small(loss=keras.losses.SparseCategoricalCrossentropy()), X, Y) is None
    assert keras_tl.check_fit(small(preprocess=True), X.astype("float32"), Y) is None  # 0..255 floats are fine
    assert keras_tl.check_fit(small(), iter([]), None) is None  # datasets and generators pass


def test_one_hot_with_a_sparse_loss():
    with pytest.raises(ValueError, match=r"one-hot \(shape \(6, 3\)\).*y.argmax\(axis=1\)"):
        keras_tl.check_fit(small(), X, np.eye(3)[Y])
    with pytest.raises(ValueError, match="one-hot.*sparse_categorical_crossentropy"):
        keras_tl.check_fit(small(keras.losses.SparseCategoricalCrossentropy()), X, np.eye(3)[Y])


def test_integer_labels_with_categorical_crossentropy():
    with pytest.raises(ValueError, match="keras.utils.to_categorical"):
        keras_tl.check_fit(small("categorical_crossentropy"), X, Y)
    with pytest.raises(ValueError, match="has 3 outputs"):
        keras_tl.check_fit(small("categorical_crossentropy"), X, np.eye(4)[Y])


def test_string_labels_suggest_the_mapping():
    with pytest.raises(ValueError, match=r"y holds strings \(e.g. 'cat'\).*np.unique\(y, return_inverse=True\)"):
        keras_tl.check_fit(small(), X, np.array(["cat", "dog", "cat", "dog", "cat", "dog"]))


def test_label_at_or_above_the_class_count():
    with pytest.raises(ValueError, match=r"label 3 at index 2, but the model has 3 outputs \(classes 0..2\).*Dense\(4\)"):
        keras_tl.check_fit(small(), X, np.array([0, 1, 3, 0, 1, 2]))
    with pytest.raises(ValueError, match="label -1"):
        keras_tl.check_fit(small(), X, Y - 1)


def test_nan_pixels_and_lengths():
    bad = X.astype("float32")
    bad[2, 0, 0, 0] = np.inf
    with pytest.raises(ValueError, match="contains NaN or infinite values.*first at sample 2"):
        keras_tl.check_fit(small(), bad, Y)
    with pytest.raises(ValueError, match="different lengths: 6 samples and 2 labels"):
        keras_tl.check_fit(small(), X, Y[:2])


def test_images_scaled_to_0_1_into_preprocess():
    with pytest.raises(ValueError, match=r"looks scaled to 0..1.*expects raw pixels 0..255.*x \* 255"):
        keras_tl.check_fit(small(preprocess=True), X / 255.0, Y)
    assert keras_tl.check_fit(small(preprocess=False), X / 255.0, Y) is None  # no Preprocess: 0..1 is the user's choice


def test_reused_backbone_scaled_images_also_refused_by_tune():
    base = keras_tl.select_pretrained_model("MobileNetV2", weights=None, input_shape=(32, 32, 3))
    model = keras_tl.reuse(base, 3, input_shape=(16, 16, 3))  # adapter, then Preprocess, then the base
    with pytest.raises(ValueError, match="looks scaled to 0..1"):
        keras_tl.check_fit(model, X / 255.0, Y)
    with pytest.raises(ValueError, match=r"train\[0\] looks scaled to 0..1"):
        keras_tl.tune(model, (X / 255.0, Y), head_epochs=1, fine_tune_epochs=0, verbose=0)


def test_grayscale_into_a_three_channel_model():
    for gray in (X[..., 0], X[..., :1]):
        with pytest.raises(ValueError, match=r"grayscale.*takes \(16, 16, 3\).*image_adapter"):
            keras_tl.check_fit(small(), gray, Y)


def test_wrong_image_size():
    with pytest.raises(ValueError, match=r"shape \(20, 20, 3\), but the model takes \(16, 16, 3\).*image_size"):
        keras_tl.check_fit(small(), RNG.integers(0, 255, (6, 20, 20, 3)).astype("uint8"), Y)


def test_what_it_catches_is_what_fit_fails_on():
    """Honesty check: each refused input really makes Keras's fit fail (so check_fit is not just strict)."""
    cases = [(X, np.eye(3)[Y]), (X[..., 0], Y), (RNG.integers(0, 255, (6, 20, 20, 3)).astype("uint8"), Y)]
    for x, y in cases:
        model = small()
        with pytest.raises(ValueError):
            keras_tl.check_fit(model, x, y)
        with pytest.raises(Exception):
            model.fit(x, y, epochs=1, verbose=0)
