"""Checkpoint and resume, safe weight loading, atomic caches, and same seed -> same result."""

import json
import os

import keras
import numpy as np
import pytest

import keras_tl
from keras_tl.models.source_model import pretrain_source_model
from keras_tl.core.checkpoints import EpochSeed, WeightsFileError, atomic_write, fit_resumable, load_weights
from keras_tl.data.tasks import TransferTask

RNG = np.random.default_rng(0)
X = RNG.integers(0, 255, (48, 28, 28)).astype("uint8")
Y = np.arange(48) % 3


def tiny_cnn(seed=0, n_classes=3, dropout=0.3):
    keras.utils.set_random_seed(seed)
    model = keras_tl.build_source_cnn(filters=(4, 8), units=16, n_classes=n_classes, dropout=dropout)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


class Interrupt(Exception):
    pass


class StopAfter(keras.callbacks.Callback):
    """Raise at the end of epoch ``n`` (1-based): the run dies between epochs."""

    def __init__(self, n):
        super().__init__()
        self.n = n

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 == self.n:
            raise Interrupt(f"stopped after epoch {self.n}")


def assert_same_weights(a, b):
    for wa, wb in zip(a, b):
        np.testing.assert_array_equal(wa, wb)


# --------------------------------------------------------------------------- #
# Resume
# --------------------------------------------------------------------------- #
def test_fit_resumable_interrupted_then_resumed_equals_uninterrupted(tmp_path):
    args = dict(epochs=4, batch_size=16, verbose=0, shuffle=True)
    whole = tiny_cnn()
    fit_resumable(whole, X, Y, checkpoint_dir=tmp_path / "a", seed=1, **args)

    broken = tiny_cnn()
    with pytest.raises(Interrupt):
        fit_resumable(broken, X, Y, checkpoint_dir=tmp_path / "b", seed=1, callbacks=[StopAfter(2)], **args)
    assert (tmp_path / "b" / "training_metadata.json").is_file()
    resumed = tiny_cnn()  # a fresh process would rebuild the model the same way
    history = fit_resumable(resumed, X, Y, checkpoint_dir=tmp_path / "b", seed=1, **args)
    assert history.epoch == [2, 3]  # only the epochs that were left
    assert_same_weights(whole.get_weights(), resumed.get_weights())
    assert not (tmp_path / "b" / "training_metadata.json").exists()  # backup deleted once complete


def test_without_epoch_seed_a_resumed_run_differs(tmp_path):
    """Why EpochSeed exists: BackupAndRestore alone restores weights and optimizer, not the RNG state."""
    def run(folder, callbacks=()):
        model = tiny_cnn()
        model.fit(X, Y, epochs=4, batch_size=16, verbose=0,
                  callbacks=[keras.callbacks.BackupAndRestore(str(folder)), *callbacks])
        return model.get_weights()

    whole = run(tmp_path / "a")
    with pytest.raises(Interrupt):
        run(tmp_path / "b", [StopAfter(2)])
    resumed = run(tmp_path / "b")
    assert max(float(np.abs(a - b).max()) for a, b in zip(whole, resumed)) > 0


def test_fit_resumable_bad_arguments(tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="not compiled"):
        fit_resumable(model, np.zeros((4, 3)), np.zeros(4), checkpoint_dir=tmp_path)
    (tmp_path / "file").write_text("x")
    model.compile(optimizer="adam", loss="mse")
    with pytest.raises(ValueError, match="is a file"):
        fit_resumable(model, np.zeros((4, 3)), np.zeros(4), checkpoint_dir=tmp_path / "file")
    with pytest.raises(ValueError, match="seed=-1 is not allowed"):
        EpochSeed(-1)


def test_train_head_on_features_resumes(tmp_path):
    base = keras_tl.feature_extractor(tiny_cnn(), "flatten")
    args = dict(n_classes=3, epochs=4, batch_size=8, verbose=0, seed=2)
    whole, _ = keras_tl.train_head_on_features(base, X, Y, checkpoint_dir=tmp_path / "a", **args)
    with pytest.raises(Interrupt):
        keras_tl.train_head_on_features(base, X, Y, checkpoint_dir=tmp_path / "b", callbacks=[StopAfter(1)], **args)
    resumed, history = keras_tl.train_head_on_features(base, X, Y, checkpoint_dir=tmp_path / "b", **args)
    assert history.epoch == [1, 2, 3]
    assert_same_weights(whole.get_layer("head").get_weights(), resumed.get_layer("head").get_weights())


def small_task(n=60):
    rng = np.random.default_rng(3)
    x = rng.integers(0, 255, (n, 28, 28)).astype("uint8")
    y = np.arange(n) % 2
    return TransferTask(source=(x, y), source_test=(x[:20], y[:20]), target=(x[:10], y[:10]),
                        target_val=(x[:10], y[:10]), source_classes=(0, 1), target_classes=(2, 3))


def test_pretrain_source_model_resumes(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_TL_CACHE", str(tmp_path / "cache"))
    args = dict(task=small_task(), epochs=3, batch_size=16, seed=0, cache=False, verbose=0)
    with pytest.warns(UserWarning, match="does not clearly beat"):
        whole = pretrain_source_model(checkpoint_dir=tmp_path / "a", **args)

    original = EpochSeed.on_epoch_end

    def die_after_first(self, epoch, logs=None):
        if epoch == 0:
            raise Interrupt("killed")

    monkeypatch.setattr(EpochSeed, "on_epoch_end", die_after_first, raising=False)
    with pytest.raises(Interrupt):
        pretrain_source_model(checkpoint_dir=tmp_path / "b", **args)
    monkeypatch.setattr(EpochSeed, "on_epoch_end", original, raising=False)
    assert json.loads((tmp_path / "b" / "training_metadata.json").read_text())["epoch"] == 1  # one epoch completed
    with pytest.warns(UserWarning, match="does not clearly beat"):
        resumed = pretrain_source_model(checkpoint_dir=tmp_path / "b", **args)
    assert_same_weights(whole.get_weights(), resumed.get_weights())


# --------------------------------------------------------------------------- #
# Same seed, same result
# --------------------------------------------------------------------------- #
def test_train_head_on_features_same_seed_same_metrics():
    base = keras_tl.feature_extractor(tiny_cnn(), "flatten")
    runs = [keras_tl.train_head_on_features(base, X, Y, 3, validation_data=(X, Y), epochs=2, dropout=0.5, seed=5,
                                            verbose=0) for _ in range(2)]
    assert runs[0][1].history == runs[1][1].history
    assert_same_weights(runs[0][0].get_layer("head").get_weights(), runs[1][0].get_layer("head").get_weights())


def test_train_strategy_same_seed_same_metrics():
    base = keras_tl.feature_extractor(tiny_cnn(), "flatten")
    logs = [keras_tl.train_strategy("fine_tune_all", base, (X, Y), (X, Y), epochs=1, head_epochs=1, seed=4, min_head_steps=0)[1]
            for _ in range(2)]
    assert logs[0]["val_accuracy"] == logs[1]["val_accuracy"]


def test_seeded_functions_repeat():
    a = keras_tl.shift_domain(X, "noise", 0.3, seed=1)
    np.testing.assert_array_equal(a, keras_tl.shift_domain(X, "noise", 0.3, seed=1))
    assert not np.array_equal(a, keras_tl.shift_domain(X, "noise", 0.3, seed=2))
    s1 = keras_tl.sample_per_class(X, Y, 4, seed=3)
    np.testing.assert_array_equal(s1[1], keras_tl.sample_per_class(X, Y, 4, seed=3)[1])
    w1 = keras_tl.architecture_only(tiny_cnn(), seed=7).get_weights()
    assert_same_weights(w1, keras_tl.architecture_only(tiny_cnn(), seed=7).get_weights())


def test_seed_argument_on_every_builder_of_new_weights():
    def small(seed):
        return keras_tl.build_source_cnn(filters=(4, 8), units=8, seed=seed)

    builders = {
        "build_source_cnn": small,
        "add_head": lambda s: keras_tl.add_head(keras_tl.feature_extractor(small(0), "flatten"), 3, seed=s),
        "replace_head": lambda s: keras_tl.replace_head(small(0), 3, seed=s),
        "reuse": lambda s: keras_tl.reuse(small(0), 3, seed=s),
    }
    for name, build in builders.items():
        a, b, c = build(11).get_weights(), build(11).get_weights(), build(12).get_weights()
        assert_same_weights(a, b)
        assert any(not np.array_equal(x, y) for x, y in zip(a, c)), name


def test_measure_forgetting_same_seed_same_report():
    def run():
        source = tiny_cnn(0)
        target = keras_tl.add_head(keras_tl.feature_extractor(source, "flatten", trainable=True), 3, seed=0)
        target.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        report = keras_tl.measure_forgetting(source, target, (X, Y), (X, Y), X, Y, seed=3, epochs=2, batch_size=16,
                                             verbose=0)
        return report.source_after, report.history["loss"]

    assert run() == run()


# --------------------------------------------------------------------------- #
# Weight files
# --------------------------------------------------------------------------- #
def saved(tmp_path, model, name="m.weights.h5"):
    path = tmp_path / name
    model.save_weights(path)
    return path


def unchanged_after(model, call):
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(WeightsFileError) as info:
        call()
    assert_same_weights(before, model.get_weights())
    return str(info.value)


def test_load_weights_round_trip(tmp_path):
    a, b = tiny_cnn(0), tiny_cnn(1)
    load_weights(b, saved(tmp_path, a))
    assert_same_weights(a.get_weights(), b.get_weights())


def test_load_weights_mismatched_names_file_and_shapes_and_leaves_model(tmp_path):
    path = saved(tmp_path, tiny_cnn(0))
    data = path.read_bytes()
    other = keras_tl.build_source_cnn(filters=(4, 16), units=16, n_classes=3)
    message = unchanged_after(other, lambda: load_weights(other, path))
    assert str(path) in message
    assert "(3, 3, 4, 16)" in message and "(3, 3, 4, 8)" in message  # expected and found
    assert path.read_bytes() == data  # nothing overwritten


def test_load_weights_same_shapes_in_another_order_restores_the_model(tmp_path):
    """Shapes that match as a set but not variable by variable: Keras fails half-way, the model is put back."""
    a = keras.Sequential([keras.Input((4,)), keras.layers.Dense(4, name="d1"), keras.layers.Dense(6, name="d2"),
                          keras.layers.Dense(4, name="d3")])
    path = saved(tmp_path, a)
    b = keras.Sequential([keras.Input((4,)), keras.layers.Dense(6, name="d1"), keras.layers.Dense(4, name="d2"),
                          keras.layers.Dense(4, name="d3")])
    # a: (4,4),(4,),(4,6),(6,),(6,4),(4,)  b: (4,6),(6,),(6,4),(4,),(4,4),(4,) -- same multiset
    message = unchanged_after(b, lambda: load_weights(b, path))
    assert "unchanged" in message and "expected" in message and "found" in message


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda data: data[: len(data) // 2], "corrupt or truncated"),
        (lambda data: b"not an hdf5 file at all" * 10, "corrupt or truncated"),
        (lambda data: b"", "is empty"),
    ],
    ids=["truncated", "garbage", "empty"],
)
def test_load_weights_corrupt_file(tmp_path, damage, message):
    model = tiny_cnn(0)
    path = saved(tmp_path, model)
    path.write_bytes(damage(path.read_bytes()))
    text = unchanged_after(model, lambda: load_weights(model, path))
    assert message in text and str(path) in text


def test_load_weights_missing_file_or_wrong_kind(tmp_path):
    model = tiny_cnn(0)
    assert "does not exist" in unchanged_after(model, lambda: load_weights(model, tmp_path / "none.weights.h5"))
    (tmp_path / "w.h5").write_bytes(b"x")
    assert "'.weights.h5'" in unchanged_after(model, lambda: load_weights(model, tmp_path / "w.h5"))


def test_load_weights_from_a_keras_file(tmp_path):
    a, b = tiny_cnn(0), tiny_cnn(1)
    a.save(tmp_path / "m.keras")
    load_weights(b, tmp_path / "m.keras")
    assert_same_weights(a.get_weights(), b.get_weights())
    data = (tmp_path / "m.keras").read_bytes()
    (tmp_path / "m.keras").write_bytes(data[: len(data) // 2])
    assert "corrupt" in unchanged_after(b, lambda: load_weights(b, tmp_path / "m.keras"))


def test_load_backbone_with_a_mismatched_weights_file(tmp_path):
    path = tmp_path / "m.weights.h5"
    keras_tl.load_backbone("MobileNetV2", weights=None, input_shape=(32, 32, 3), pooling="avg").save_weights(path)
    with pytest.raises(WeightsFileError, match="expects shapes .* the file holds"):
        keras_tl.load_backbone("VGG16", weights=path, input_shape=(32, 32, 3))


# --------------------------------------------------------------------------- #
# Atomic writes and caches
# --------------------------------------------------------------------------- #
def test_atomic_write_interrupted_leaves_old_file_and_no_temp(tmp_path):
    target = tmp_path / "cache.json"
    target.write_text("old")

    def half_then_die(tmp):
        with open(tmp, "w") as fh:
            fh.write("half")
        raise Interrupt("killed mid-write")

    with pytest.raises(Interrupt):
        atomic_write(target, half_then_die)
    assert target.read_text() == "old" and os.listdir(tmp_path) == ["cache.json"]

    def folder_half(tmp):
        os.makedirs(tmp)
        (open(os.path.join(tmp, "part"), "w")).close()
        raise Interrupt("killed")

    with pytest.raises(Interrupt):
        atomic_write(tmp_path / "export", folder_half, folder=True)
    assert os.listdir(tmp_path) == ["cache.json"]


def test_atomic_write_from_two_writers_at_once(tmp_path):
    """Two processes (pytest-xdist workers, notebooks) filling the same cache entry at once: each writes
    its own temporary file, nothing is visible before a rename, the last rename wins whole."""
    import threading
    from pathlib import Path

    target = tmp_path / "cache.json"
    both_half_way = threading.Barrier(2)
    errors = []

    def writer(text):
        def write(tmp):
            Path(tmp).write_text(text[:500])
            assert not target.exists()  # neither half-written file is visible (checked before the barrier:
            both_half_way.wait(timeout=30)  # after it, the other writer may already have renamed its file)
            Path(tmp).write_text(text)

        try:
            atomic_write(target, write)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(c * 1000,)) for c in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert target.read_text() in ("a" * 1000, "b" * 1000)
    assert os.listdir(tmp_path) == ["cache.json"]  # no temporary file left


@pytest.mark.filterwarnings("ignore:The source model does not clearly beat")
def test_source_model_cache_interrupted_write_and_corrupt_file(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("KERAS_TL_CACHE", str(cache))
    args = dict(task=small_task(), epochs=1, batch_size=32, seed=0, verbose=0)
    real_save = keras.Model.save

    def save_half_then_die(self, filepath, *a, **k):
        with open(filepath, "wb") as fh:
            fh.write(b"PK\x03\x04 half a zip")
        raise Interrupt("killed during save")

    monkeypatch.setattr(keras.Model, "save", save_half_then_die)
    with pytest.raises(Interrupt):
        pretrain_source_model(**args)
    assert not cache.exists() or os.listdir(cache) == []  # no broken cache, no temp file
    monkeypatch.setattr(keras.Model, "save", real_save)

    model = pretrain_source_model(**args)
    (path,) = cache.glob("*.keras")
    path.write_bytes(path.read_bytes()[:100])  # corrupted on disk
    with pytest.warns(UserWarning, match="cannot be loaded.*trained again"):
        again = pretrain_source_model(**args)
    assert_same_weights(model.get_weights(), again.get_weights())
    assert keras.saving.load_model(path) is not None  # the cache was rewritten whole


def test_export_tfhub_interrupted_leaves_nothing(tmp_path, monkeypatch):
    keras_hub = pytest.importorskip("keras_hub")
    import tensorflow as tf

    tiny = keras_hub.models.BertBackbone(vocabulary_size=30, num_layers=1, num_heads=2, hidden_dim=8,
                                         intermediate_dim=16, max_sequence_length=16)
    real = tf.saved_model.save

    def die(obj, export_dir, *a, **k):
        os.makedirs(export_dir, exist_ok=True)
        (open(os.path.join(export_dir, "saved_model.pb"), "wb")).close()
        raise Interrupt("killed during export")

    monkeypatch.setattr(tf.saved_model, "save", die)
    with pytest.raises(Interrupt):
        keras_tl.export_tfhub(tiny, tmp_path / "hub")
    assert os.listdir(tmp_path) == []
    monkeypatch.setattr(tf.saved_model, "save", real)
    path = keras_tl.export_tfhub(tiny, tmp_path / "hub")
    assert (path / "saved_model.pb").is_file() and os.listdir(tmp_path) == ["hub"]
    (path / "saved_model.pb").write_bytes(b"garbage")
    with pytest.raises(OSError, match="saved_model.pb"):  # a damaged export names its file
        keras_tl.HubEncoder(str(path))


# --------------------------------------------------------------------------- #
# tune(checkpoint_dir=...): either phase resumes
# --------------------------------------------------------------------------- #
def _reused(seed=0):
    keras.utils.set_random_seed(seed)
    source = keras_tl.build_source_cnn(filters=(4, 8), units=16, n_classes=5, dropout=0.3)
    return keras_tl.reuse(source, n_classes=3, seed=seed)


TUNE_ARGS = dict(head_epochs=2, fine_tune_epochs=2, batch_size=16, seed=3, verbose=0)


@pytest.fixture(scope="module")
def tuned_whole(tmp_path_factory):
    """The uninterrupted run that both interrupted-and-resumed runs must equal: run once."""
    folder = tmp_path_factory.mktemp("tune_whole")
    whole = _reused()
    full = keras_tl.tune(whole, (X, Y), (X, Y), checkpoint_dir=folder, **TUNE_ARGS)
    return whole.get_weights(), full, list(folder.iterdir())


@pytest.mark.parametrize("stop_after", [1, 3])  # in the head phase (2 epochs), in the fine-tune phase
def test_tune_interrupted_then_resumed_equals_uninterrupted(tmp_path, stop_after, tuned_whole):
    args = TUNE_ARGS
    whole_weights, full, left_over = tuned_whole
    assert len(full["head"]["loss"]) == 2 and len(full["fine_tune"]["loss"]) == 2
    assert left_over == []  # a completed run leaves nothing to resume

    with pytest.raises(Interrupt):
        keras_tl.tune(_reused(), (X, Y), (X, Y), checkpoint_dir=tmp_path / "b", callbacks=[StopAfter(stop_after)], **args)
    assert any((tmp_path / "b").iterdir())
    resumed = _reused()  # a fresh process would rebuild the model the same way
    keras_tl.tune(resumed, (X, Y), (X, Y), checkpoint_dir=tmp_path / "b", **args)
    assert_same_weights(whole_weights, resumed.get_weights())


def test_tune_rejects_a_file_as_checkpoint_dir(tmp_path):
    path = tmp_path / "file"
    path.write_text("keep me")
    with pytest.raises(ValueError, match="is a file"):
        keras_tl.tune(_reused(), (X, Y), checkpoint_dir=path, head_epochs=1, fine_tune_epochs=0, verbose=0)
    assert path.read_text() == "keep me"
