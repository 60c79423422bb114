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


def walk(layer):
    yield layer
    for sub in getattr(layer, "layers", []):
        yield from walk(sub)


@pytest.mark.parametrize("name", list(FACTORIES))
def test_round_trip_keras_file_with_safe_mode(name, tmp_path):
    model = FACTORIES[name]()
    # No factory builds a Lambda layer (which safe_mode refuses to load), nested models included.
    assert not any(isinstance(lyr, keras.layers.Lambda) for lyr in walk(model)), name
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
    if name.startswith("apply_l2sp"):  # the L2-SP reference (the starting point) survives the round trip
        assert float(keras_tl.l2sp_penalty(loaded)) == pytest.approx(float(keras_tl.l2sp_penalty(model)), rel=1e-6)


# --------------------------------------------------------------------------- #
# A fresh process: keras.saving.load_model alone, and keras_tl.load_model
# --------------------------------------------------------------------------- #
FRESH = """
import json, sys
import numpy as np
import keras
out = {}
try:
    keras.saving.load_model(sys.argv[1])
    out["plain"] = "loaded"
except Exception as exc:
    out["plain"] = str(exc)
out["imported_before"] = "keras_tl" in sys.modules
from keras_tl import load_model
model = load_model(sys.argv[1])
out["layers"] = [type(layer).__name__ for layer in model.layers]
out["pred"] = model.predict(np.load(sys.argv[2]), verbose=0).tolist()
print("RESULT" + json.dumps(out))
"""


@pytest.mark.slow  # a fresh interpreter importing TensorFlow: `make test` runs it, `make check` does not
def test_load_model_in_a_fresh_process(tmp_path):
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    keras.utils.set_random_seed(0)
    inputs = keras.Input((8, 8), name="image")
    h = keras_tl.GrayscaleToRGB()(inputs)
    h = keras_tl.Preprocess("MobileNetV2", weights="imagenet-torchvision")(h)
    h = keras.layers.GlobalAveragePooling2D()(h)
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(h))
    model.save(tmp_path / "m.keras")
    x = np.random.default_rng(1).integers(0, 255, (3, 8, 8)).astype("float32")
    np.save(tmp_path / "x.npy", x)
    # The fresh process runs JAX when it is installed: it starts in half the time of TensorFlow, and the
    # failure (an unregistered class) does not depend on the backend; the file is the same for both.
    import importlib.util

    backend = "jax" if importlib.util.find_spec("jax") else keras.backend.backend()
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": backend,
           "PYTHONPATH": str(Path(keras_tl.__file__).resolve().parent.parent) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    run = subprocess.run([sys.executable, "-c", FRESH, str(tmp_path / "m.keras"), str(tmp_path / "x.npy")],
                         capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    line = next((ln for ln in run.stdout.splitlines() if ln.startswith("RESULT")), None)
    assert line, run.stderr[-3000:]
    out = json.loads(line[len("RESULT"):])
    # Why keras_tl.load_model exists: plain Keras in a process that has not imported keras_tl cannot load it.
    assert "Could not locate class 'GrayscaleToRGB'" in out["plain"], out["plain"]
    assert out["imported_before"] is False
    assert out["layers"] == ["InputLayer", "GrayscaleToRGB", "Preprocess", "GlobalAveragePooling2D", "Dense"]
    np.testing.assert_allclose(out["pred"], model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_load_model_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="No model file"):
        keras_tl.load_model(tmp_path / "missing.keras")
    (tmp_path / "w.weights.h5").write_bytes(b"x")
    with pytest.raises(ValueError, match="is not a .keras file"):
        keras_tl.load_model(tmp_path / "w.weights.h5")


def test_load_model_names_an_unregistered_class(tmp_path):
    @keras.saving.register_keras_serializable(package="elsewhere")
    class Twice(keras.layers.Layer):
        def call(self, x):
            return x * 2

    keras.Sequential([keras.Input((3,)), Twice()]).save(tmp_path / "m.keras")
    keras.saving.get_custom_objects().pop("elsewhere>Twice")  # as in a process that never defined it
    with pytest.raises(ValueError, match="m.keras holds the custom class 'Twice', which is not registered"):
        keras_tl.load_model(tmp_path / "m.keras")


def _unstepped_wrapper():
    """What the CLI saved: a trained model wrapped with its preprocessing and compiled, the optimizer never stepped."""
    keras.utils.set_random_seed(0)
    inner = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4, activation="relu"),
                              keras.layers.Dense(2, activation="softmax")])
    model = keras.Sequential([keras.Input((6,)), keras.layers.Rescaling(1 / 255), inner])
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])  # default optimizer: rmsprop
    return model


def test_save_model_loads_without_the_optimizer_warning(tmp_path):
    import warnings

    model = _unstepped_wrapper()
    model.save(tmp_path / "plain.keras")
    with warnings.catch_warnings(record=True) as caught:  # the old way: Keras warns on load
        warnings.simplefilter("always")
        keras_tl.load_model(tmp_path / "plain.keras")
    assert any("Skipping variable loading for optimizer" in str(w.message) for w in caught)
    path = keras_tl.save_model(_unstepped_wrapper(), tmp_path / "sub" / "quiet.keras")
    assert path == tmp_path / "sub" / "quiet.keras" and [p.name for p in path.parent.iterdir()] == ["quiet.keras"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaded = keras_tl.load_model(path)
    assert not [str(w.message) for w in caught if "optimizer" in str(w.message)]
    x = np.random.default_rng(0).uniform(0, 255, (4, 6)).astype("float32")
    loaded.fit(x, np.array([0, 1, 0, 1]), epochs=1, verbose=0)  # compiled and trainable after loading


LOAD_QUIETLY = """
import sys, keras_tl
keras_tl.load_model(sys.argv[1])
print("LOADED")
"""


@pytest.mark.slow  # a fresh interpreter importing TensorFlow: `make test` runs it, `make check` does not
def test_save_model_file_loads_quietly_in_a_fresh_process(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    keras_tl.save_model(_unstepped_wrapper(), tmp_path / "m.keras")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3",
           "PYTHONPATH": str(Path(keras_tl.__file__).resolve().parent.parent) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    run = subprocess.run([sys.executable, "-c", LOAD_QUIETLY, str(tmp_path / "m.keras")], capture_output=True,
                         text=True, cwd=tmp_path, env=env, timeout=120)
    assert "LOADED" in run.stdout, run.stderr[-3000:]
    assert "Skipping variable loading" not in run.stderr and "optimizer" not in run.stderr, run.stderr[-3000:]
