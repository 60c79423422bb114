"""keras_tl.snapshot: weights and BatchNorm momentum put back."""

import keras
import numpy as np
import pytest

import keras_tl


def small_model():
    keras.utils.set_random_seed(0)
    base = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="dense"),
                             keras.layers.BatchNormalization(name="bn")], name="base")
    inputs = keras.Input((4,))
    return keras.Model(inputs, keras.layers.Dense(2, name="head")(base(inputs)), name="outer")


def test_restore_puts_back_weights_flags_and_momentum_after_fit():
    model = small_model()
    base = model.get_layer("base")
    before = [w.copy() for w in model.get_weights()]
    saved = keras_tl.snapshot(model)
    base.trainable = True
    base.get_layer("bn").momentum = 0.5
    model.get_layer("head").trainable = False
    model.compile(optimizer=keras.optimizers.Adam(0.1), loss="mse")
    model.fit(np.ones((8, 4)), np.ones((8, 2)), epochs=2, verbose=0)
    assert any(not np.allclose(a, b) for a, b in zip(before, model.get_weights()))
    assert saved.restore() is model
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))   # moving statistics too
    assert base.get_layer("bn").momentum == 0.99


def test_trainable_flags_are_left_as_they_are():
    model = small_model()
    saved = keras_tl.snapshot(model)
    model.get_layer("head").trainable = False       # freezing is set per run, not restored
    saved.restore()
    assert not model.get_layer("head").trainable


def test_context_manager_restores_after_an_error():
    model = small_model()
    kernel = model.get_layer("head").kernel.numpy().copy()
    with pytest.raises(RuntimeError):
        with keras_tl.snapshot(model) as same:
            assert same is model
            model.get_layer("head").kernel.assign(np.zeros_like(kernel))
            raise RuntimeError("a failed run")
    np.testing.assert_array_equal(model.get_layer("head").kernel.numpy(), kernel)


def test_snapshot_is_a_copy_and_prints_its_size():
    model = small_model()
    saved = keras_tl.snapshot(model)
    model.get_layer("head").kernel.assign(model.get_layer("head").kernel + 1.0)
    value = dict((id(v), a) for v, a in zip(saved._saved, saved.variables))[id(model.get_layer("head").kernel)]
    assert not np.allclose(value, model.get_layer("head").kernel.numpy())
    assert "Snapshot('outer'" in repr(saved) and "1 BatchNorm" in repr(saved)


@pytest.mark.parametrize("bad, fragment", [("MobileNetV2", "model of type str is not allowed"),
                                           (None, "model of type NoneType is not allowed")])
def test_bad_model_is_refused(bad, fragment):
    with pytest.raises(ValueError, match=fragment):
        keras_tl.snapshot(bad)


def test_unbuilt_model_is_refused():
    with pytest.raises(ValueError, match="is not built"):
        keras_tl.snapshot(keras.Sequential([keras.layers.Dense(2)], name="unbuilt"))
