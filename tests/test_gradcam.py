"""Grad-CAM's known answer: a task where only the top-left quadrant carries the label.

Class 1 images have a bright 6x6 blob somewhere in the top-left quadrant, class
0 images are noise only; a small CNN learns it to 100 %. Grad-CAM for class 1
must put most of its mass in that quadrant (25 % is chance), on the plain model
and on the same CNN nested as a frozen base inside a head model with
preprocessing in front (where the classic two-output-model recipe breaks).
Runs on TensorFlow and on JAX (Makefile: unit-jax).
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

import keras_tl
from keras_tl.diagnose.gradcam import feature_layers

SIZE = 32


def blobs(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(60, 25, (n, SIZE, SIZE)).clip(0, 255)
    y = np.arange(n) % 2
    for i in np.flatnonzero(y):
        cy, cx = rng.integers(4, 12, 2)  # the blob stays inside the top-left 16x16 quadrant
        x[i, cy - 3:cy + 3, cx - 3:cx + 3] = 255
    return x.astype("float32"), y


def quadrant_mass(maps: np.ndarray) -> float:
    half = SIZE // 2
    return float((maps[:, :half, :half].sum(axis=(1, 2)) / np.maximum(maps.sum(axis=(1, 2)), 1e-12)).mean())


@pytest.fixture(scope="module")
def trained():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((SIZE, SIZE), name="image")
    h = keras.layers.Reshape((SIZE, SIZE, 1), name="add_channel")(inputs)
    h = keras.layers.Rescaling(1 / 255, offset=-60 / 255, name="rescale")(h)
    h = keras.layers.Conv2D(8, 3, padding="same", activation="relu", use_bias=False, name="c1")(h)
    h = keras.layers.MaxPooling2D(2, name="pool1")(h)
    h = keras.layers.Conv2D(16, 3, padding="same", activation="relu", use_bias=False, name="c2")(h)
    h = keras.layers.GlobalMaxPooling2D(name="gmp")(h)
    outputs = keras.layers.Dense(2, activation="softmax", name="predictions")(h)
    model = keras.Model(inputs, outputs, name="blob_cnn")
    model.compile(optimizer=keras.optimizers.Adam(0.003), loss="sparse_categorical_crossentropy")
    x, y = blobs(300, seed=1)
    model.fit(x, y, epochs=4, batch_size=32, verbose=0)
    x_test, y_test = blobs(60, seed=2)
    accuracy = float((np.argmax(keras.ops.convert_to_numpy(model(x_test)), axis=-1) == y_test).mean())
    assert accuracy >= 0.95, f"the blob CNN did not learn the task ({accuracy:.2f}); the known answer needs a right model"
    return model, x_test[y_test == 1]


def nested(model: keras.Model) -> keras.Model:
    """The trained CNN's body as a frozen nested base behind a preprocessing layer, its head copied."""
    base = keras_tl.feature_extractor(model, "gmp")  # frozen
    head = keras.layers.Dense(2, activation="softmax", name="head")
    outer = keras.Sequential([keras.Input((SIZE, SIZE, 1), name="image"), keras.layers.Reshape((SIZE, SIZE), name="pre"),
                              base, head], name="nested")
    head.set_weights(model.get_layer("predictions").get_weights())
    return outer


def test_known_answer_plain_model(trained):
    model, x = trained
    maps = keras_tl.grad_cam(model, x, class_index=1)
    print(f"{keras.backend.backend()}: {quadrant_mass(maps):.3f} of the map's mass in the blob's quadrant")
    assert maps.shape == (len(x), SIZE, SIZE) and maps.min() >= 0 and maps.max() <= 1
    assert quadrant_mass(maps) > 0.5, quadrant_mass(maps)


def test_known_answer_nested_base_gives_the_same_maps(trained):
    model, x = trained
    outer = nested(model)
    assert not outer.layers[1].trainable  # a frozen base still gives gradients w.r.t. its feature map
    maps = keras_tl.grad_cam(outer, x[..., None], class_index=1)
    assert quadrant_mass(maps) > 0.5
    np.testing.assert_allclose(maps, keras_tl.grad_cam(model, x, class_index=1), atol=1e-4)


def test_known_answer_add_head_model(trained):
    model, x = trained
    base = keras_tl.feature_extractor(model, "gmp")
    outer = keras_tl.add_head(base, 2, seed=0, input_shape=(SIZE, SIZE, 1),
                              preprocessing=[keras.layers.Reshape((SIZE, SIZE), name="pre")])
    outer.compile(optimizer=keras.optimizers.Adam(0.05), loss="sparse_categorical_crossentropy")
    x_train, y_train = blobs(200, seed=3)
    outer.fit(x_train[..., None], y_train, epochs=3, verbose=0)
    maps = keras_tl.grad_cam(outer, x[..., None])  # the predicted class: 1 when the head is right
    assert quadrant_mass(maps) > 0.5


def test_classic_recipe_breaks_on_the_nested_model(trained):
    outer = nested(trained[0])
    feature = outer.layers[1].get_layer("c2").output
    with pytest.raises(ValueError):
        keras.Model(outer.inputs, [feature, *outer.outputs])


def test_default_layer_is_the_last_feature_map_inside_the_base(trained):
    outer = nested(trained[0])
    assert feature_layers(outer)[-1] == "c2"
    x = trained[1][:3, ..., None]
    np.testing.assert_allclose(keras_tl.grad_cam(outer, x), keras_tl.grad_cam(outer, x, layer="c2"))


def test_earlier_layer_and_batches(trained):
    model, x = trained
    one = keras_tl.grad_cam(model, x[:5], layer="c1", class_index=1, batch_size=2)
    assert one.shape == (5, SIZE, SIZE)
    np.testing.assert_allclose(one, keras_tl.grad_cam(model, x[:5], layer="c1", class_index=[1] * 5), atol=1e-5)


@pytest.mark.backend_free  # layer discovery in a Keras Application; the JAX gradients run in the known-answer tests
def test_keras_applications_MobileNetV2():
    app = keras.applications.MobileNetV2(weights=None, input_shape=(32, 32, 3), classes=3)
    maps = keras_tl.grad_cam(app, np.random.default_rng(0).uniform(-1, 1, (2, 32, 32, 3)))
    assert maps.shape == (2, 32, 32)
    assert feature_layers(app)[-1] == "out_relu"


@pytest.mark.parametrize("kwargs, fragment", [
    ({"layer": "nope"}, "Unknown layer 'nope'"),
    ({"layer": "predictions"}, "not a 4-D feature map"),
    ({"class_index": 2}, "class_index=2 is not allowed: the model has 2 classes, 0..1"),
    ({"images": np.zeros((2, 28, 28))}, "but the model takes (32, 32)"),
])
def test_bad_input_leaves_the_model_unchanged(trained, kwargs, fragment):
    model = trained[0]
    before = [w.copy() for w in model.get_weights()]
    images = kwargs.pop("images", trained[1][:2])
    with pytest.raises(ValueError) as info:
        keras_tl.grad_cam(model, images, **kwargs)
    assert fragment in str(info.value)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_overlay_and_plot():
    images = np.zeros((2, 8, 8), "uint8")
    blended = keras_tl.overlay(images, np.ones((2, 8, 8)), alpha=1.0)
    assert blended.shape == (2, 8, 8, 3) and np.allclose(blended[..., 0], 0.5, atol=0.01)  # jet(1) is dark red
    with pytest.raises(ValueError, match="one map per image"):
        keras_tl.overlay(images, np.ones((3, 8, 8)))
    fig = keras_tl.plot_grad_cam(images, np.ones((2, 8, 8)))
    assert len(fig.axes) == 4
