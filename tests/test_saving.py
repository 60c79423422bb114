"""Every kind of model keras_tl builds round-trips through a ``.keras`` file, loaded with ``safe_mode=True``.

``safe_mode=True`` refuses Lambda layers and other Python code in the file, so a model that
loads this way carries only registered, serializable layers (``package="keras_tl"``).
The text classifier (KerasHub) and ``HubEncoder`` have their own round-trip tests in
``tests/test_text.py``.
"""

import keras
import numpy as np
import pytest

import keras_tl

X28 = np.random.default_rng(0).integers(0, 255, (6, 28, 28)).astype("uint8")


def source():
    keras.utils.set_random_seed(0)
    return keras_tl.build_source_cnn(filters=(4, 8), units=16, n_classes=5)


def with_head():
    return keras_tl.add_head(keras_tl.feature_extractor(source(), "flatten", trainable=True), 3, dropout=0.2)


def two_heads():
    src = source()
    return keras_tl.two_head_model(src, keras_tl.add_head(keras_tl.feature_extractor(src, "flatten", trainable=True), 3))


def deep_coral():
    src = source()
    features = keras_tl.feature_extractor(src, "flatten", trainable=True)
    head = keras.Sequential([keras.Input((392,)), keras.layers.Dense(3, activation="softmax")], name="coral_head")
    model = keras_tl.DeepCORAL(features, head, weight=1.0)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    xs, ys = X28.repeat(2, axis=0), np.arange(12) % 3
    model.fit(keras_tl.DomainBatches(xs, ys, X28[::-1].repeat(2, axis=0), batch_size=4), epochs=1, verbose=0)
    return model


def ensemble():
    a = with_head()
    keras.utils.set_random_seed(1)
    b = keras_tl.add_head(keras_tl.feature_extractor(keras_tl.build_source_cnn(filters=(4, 8), units=16, name="other"), "flatten"), 3)
    return keras_tl.ensemble_model([a, b], voting="hard", weights=[2, 1])


def adapted_backbone():
    base = keras_tl.load_backbone("MobileNetV2", weights=None, input_shape=(32, 32, 3), pooling="avg", trainable=False)
    return keras_tl.add_head(base, 3, input_shape=(28, 28),
                             preprocessing=[keras_tl.image_adapter(32), keras_tl.Preprocess("MobileNetV2")])


def l2sp_compiled():
    model = keras_tl.apply_l2sp(with_head(), alpha=0.1, beta=0.01)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(X28, np.arange(6) % 3, epochs=1, verbose=0)
    return model


def discriminative():
    model = with_head()
    model.compile(optimizer=keras_tl.discriminative_lr(model, 1e-3, factor=2.6), loss="sparse_categorical_crossentropy")
    model.fit(X28, np.arange(6) % 3, epochs=1, verbose=0)
    return model


def pretrained_source():
    model = source()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(X28, np.arange(6) % 5, epochs=1, verbose=0)
    return model


FACTORIES = {
    "source_cnn (trained, compiled)": pretrained_source,
    "add_head(feature_extractor)": with_head,
    "replace_head": lambda: keras_tl.replace_head(source(), 3),
    "architecture_only": lambda: keras_tl.architecture_only(source(), seed=1),
    "feature_extractor": lambda: keras_tl.feature_extractor(source(), "flatten"),
    "two_head_model": two_heads,
    "DeepCORAL (trained)": deep_coral,
    "ensemble_model (hard, weighted)": ensemble,
    "image_adapter + Preprocess + backbone": adapted_backbone,
    "GrayscaleToRGB": lambda: keras.Sequential([keras.Input((28, 28)), keras_tl.GrayscaleToRGB(),
                                                keras.layers.GlobalAveragePooling2D()]),
    "apply_l2sp (compiled, trained)": l2sp_compiled,
    "discriminative_lr optimizer": discriminative,
}


def as_arrays(out):
    if isinstance(out, dict):
        return [np.asarray(out[k]) for k in sorted(out)]
    return [np.asarray(out)]


@pytest.mark.parametrize("name", list(FACTORIES))
def test_round_trip_keras_file_with_safe_mode(name, tmp_path):
    model = FACTORIES[name]()
    before = as_arrays(model.predict(X28, verbose=0))
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    after = as_arrays(loaded.predict(X28, verbose=0))
    for a, b in zip(before, after):
        np.testing.assert_array_equal(a, b)
    assert [w.shape for w in loaded.weights] == [w.shape for w in model.weights]
    if getattr(model, "optimizer", None) is not None and model.optimizer.built:
        assert type(loaded.optimizer).__name__ == type(model.optimizer).__name__


def test_l2sp_reference_survives_the_round_trip(tmp_path):
    model = l2sp_compiled()
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    assert float(keras_tl.l2sp_penalty(loaded)) == pytest.approx(float(keras_tl.l2sp_penalty(model)), rel=1e-6)


def test_no_lambda_layers_anywhere():
    """No factory builds a Lambda layer (which safe_mode refuses to load)."""
    def walk(layer):
        yield layer
        for sub in getattr(layer, "layers", []):
            yield from walk(sub)

    for name, factory in FACTORIES.items():
        if name.startswith(("DeepCORAL", "image_adapter")):
            continue  # slow ones; covered by the round trip above
        assert not any(isinstance(lyr, keras.layers.Lambda) for lyr in walk(factory())), name
