"""keras_tl.snapshot: restart a compiled model (weights + optimizer state) without a new trace."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import keras_tl

X = np.random.default_rng(0).normal(size=(64, 6)).astype("float32")
Y = (X[:, 0] > 0).astype("int32")


def model(seed=0, dropout=True):
    keras.utils.set_random_seed(seed)
    layers = [keras.Input((6,)), keras.layers.Dense(8, activation="relu")]
    layers += [keras.layers.Dropout(0.3)] if dropout else []
    layers += [keras.layers.BatchNormalization(), keras.layers.Dense(2, activation="softmax")]
    m = keras.Sequential(layers)
    m.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


def run(m, seed=0):
    keras.utils.set_random_seed(seed)
    history = m.fit(X, Y, epochs=2, batch_size=16, verbose=0)
    return history.history["loss"], m.get_weights()


def test_restore_repeats_the_first_run_exactly_with_the_same_traced_step():
    m = model()
    start = keras_tl.snapshot(m)
    first_loss, first_weights = run(m)
    step = m.train_function
    assert int(m.optimizer.iterations.numpy()) == 8
    assert start.restore() is m
    assert int(m.optimizer.iterations.numpy()) == 0
    second_loss, second_weights = run(m)
    assert second_loss == first_loss          # dropout's seed state and BatchNorm statistics restored too
    for a, b in zip(first_weights, second_weights):
        np.testing.assert_array_equal(a, b)
    assert m.train_function is step           # no new trace


def test_restore_equals_a_new_model_and_sets_weights_and_rate():
    m = model(seed=0, dropout=False)
    start = keras_tl.snapshot(m)
    run(m)
    fresh = model(seed=1, dropout=False)
    fresh.optimizer.learning_rate.assign(3e-3)
    expected_loss, expected_weights = run(fresh)
    start.restore(weights=model(seed=1, dropout=False).get_weights(), learning_rate=3e-3)
    assert float(m.optimizer.learning_rate.numpy()) == pytest.approx(3e-3)
    loss, weights = run(m)
    np.testing.assert_allclose(loss, expected_loss, rtol=1e-6)
    for a, b in zip(weights, expected_weights):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_restore_puts_back_the_rate_of_the_snapshot():
    m = model(dropout=False)
    start = keras_tl.snapshot(m)
    m.optimizer.learning_rate.assign(0.5)
    start.restore()
    assert float(m.optimizer.learning_rate.numpy()) == pytest.approx(1e-2)


def test_snapshot_builds_the_optimizer_and_saves_fresh_moments():
    m = model(dropout=False)
    assert not m.optimizer.built
    start = keras_tl.snapshot(m)
    assert m.optimizer.built and len(start.optimizer_state) == len(m.optimizer.variables)
    assert all(not np.any(v) for v in start.optimizer_state[2:])   # Adam's moments start at zero
    assert "Snapshot" in repr(start)


def test_bad_input_is_echoed():
    m = model(dropout=False)
    start = keras_tl.snapshot(m)
    with pytest.raises(ValueError, match="learning_rate=-1 is not allowed"):
        start.restore(learning_rate=-1)
    with pytest.raises(ValueError, match="weights has 1 arrays"):
        start.restore(weights=[np.zeros((6, 8))])
    wrong = m.get_weights()
    wrong[0] = np.zeros((5, 8))
    with pytest.raises(ValueError, match=r"weights\[0\] has shape \(5, 8\)"):
        start.restore(weights=wrong)
    with pytest.raises(ValueError, match="model of type str is not allowed"):
        keras_tl.snapshot("m")
    m.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="was compiled again"):
        start.restore()


def test_a_failed_check_changes_nothing():
    m = model(dropout=False)
    start = keras_tl.snapshot(m)
    run(m)
    before = m.get_weights()
    with pytest.raises(ValueError):
        start.restore(weights=[np.zeros(3)], learning_rate=1e-3)
    for a, b in zip(before, m.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert int(m.optimizer.iterations.numpy()) == 8


def test_a_model_built_further_after_the_snapshot_is_refused():
    layer = keras.layers.Dense(2)
    m = keras.Sequential([keras.Input((6,)), keras.layers.Dense(3)])
    m.compile(optimizer="adam", loss="mse")
    start = keras_tl.snapshot(m)
    m.add(layer)   # a new layer: more variables than the snapshot holds
    with pytest.raises(ValueError, match="has 4 variables, the snapshot 2"):
        start.restore()


def test_an_unbuilt_model_is_refused():
    m = keras.Sequential([keras.layers.Dense(2)])
    m.compile(optimizer="adam", loss="mse")
    with pytest.raises(ValueError, match="is not built"):
        keras_tl.snapshot(m)
