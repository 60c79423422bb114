"""keras_tl.repeat and repeat_heads: one fit of N copies equals N plain-Keras runs."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import keras_tl
from keras_tl.measure.repeats import _groups, _runs

RNG = np.random.default_rng(0)
X = RNG.normal(size=(90, 6)).astype("float32")
Y = (X[:, 0] + 0.5 * RNG.normal(size=90) > 0).astype("int64") + (X[:, 1] > 0.8)
DATA = ((X[:40], Y[:40]), (X[40:60], Y[40:60]), (X[60:], Y[60:]))


def small(key=None):
    return keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, activation="relu"),
                             keras.layers.Dense(3, activation="softmax")])


def plain_run(seed, data, epochs, keep_best, lr=0.3, build=small):
    """The plain-Keras run that repeat stands for: SGD, no shuffle, best validated epoch restored."""
    (x, y), (xv, yv), (xt, yt) = data
    keras.utils.set_random_seed(seed)
    model = build()
    model.compile(keras.optimizers.SGD(lr), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    stop = keras.callbacks.EarlyStopping("val_accuracy", mode="max", patience=epochs, restore_best_weights=True)
    model.fit(x, y, epochs=epochs, batch_size=16, shuffle=False, verbose=0, validation_data=(xv, yv),
              callbacks=[stop] if keep_best else [])
    return model, stop


@pytest.mark.parametrize("keep_best", [False, True])
def test_repeat_equals_separate_plain_keras_runs(keep_best):
    made = {}

    def build(seed):
        made[seed] = small()
        return made[seed]

    acc = keras_tl.repeat(build, DATA, seeds=[3, 4], epochs=8, batch_size=16, optimizer="sgd", learning_rate=0.3,
                          shuffle=False, keep_best=keep_best)
    assert list(acc) == [3, 4]
    for seed in (3, 4):
        model, stop = plain_run(seed, DATA, 8, keep_best)
        for a, b in zip(made[seed].get_weights(), model.get_weights()):
            np.testing.assert_allclose(a, b, atol=1e-5)
        expected = model.evaluate(*DATA[2], verbose=0, return_dict=True)["accuracy"]
        assert acc[seed] == pytest.approx(expected, abs=1e-6)
        if keep_best and seed == 3:
            assert stop.best_epoch + 1 < 8   # the kept epoch is not the last one: restoring mattered


def test_repeat_groups_copies_by_data_size():
    short = ((X[:30], Y[:30]), DATA[1], DATA[2])
    data = {("a", 1): DATA, ("b", 2): short, ("c", 3): DATA}
    runs, seed_of = _runs(data, None)
    assert _groups(runs) == [[("a", 1), ("c", 3)], [("b", 2)]] and seed_of[("b", 2)] == 2
    made = {}

    def build(key):
        made[key] = small()
        return made[key]

    acc = keras_tl.repeat(build, data, epochs=3, batch_size=16, optimizer="sgd", learning_rate=0.3, shuffle=False,
                          keep_best=False)
    assert list(acc) == list(data)
    model, _ = plain_run(2, short, 3, keep_best=False)   # the lone copy ran alone, in its own fit
    for a, b in zip(made["b", 2].get_weights(), model.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_repeat_heads_equal_plain_dense_heads_and_record_curves():
    xt = X[60:]
    data = {s: ((X[:40], Y[:40]), (X[40:60], Y[40:60]), (xt, Y[60:])) for s in (5, 6)}
    result = keras_tl.repeat_heads(data, epochs=6, batch_size=16, optimizer="sgd", learning_rate=0.5, shuffle=False)
    assert result.curves["val"].shape == (6, 2) and result.epochs == list(range(1, 7))

    def head():
        return keras.Sequential([keras.Input((6,)), keras.layers.Dense(3, activation="softmax")])

    for i, seed in enumerate((5, 6)):
        model, stop = plain_run(seed, data[seed], 6, keep_best=True, lr=0.5, build=head)
        history = model.history.history["val_accuracy"]
        np.testing.assert_allclose(result.curves["val"][:, i], history, atol=1e-6)
        assert result.best_epoch[seed] == stop.best_epoch + 1
        expected = model.evaluate(*data[seed][2], verbose=0, return_dict=True)["accuracy"]
        assert result.accuracy[seed] == pytest.approx(expected, abs=1e-6)


def test_repeat_heads_extra_parts_and_groups_by_classes():
    ten = (Y + 3 * (X[:, 2] > 0)).astype("int64")   # labels 0-5: another class count, another group
    data = {("five", 0): {"train": (X[:40], ten[:40]), "val": (X[40:60], ten[40:60]), "test": (X[60:], ten[60:]),
                          "all": (X, ten)},
            ("three", 0): {"train": (X[:40], Y[:40]), "val": (X[40:60], Y[40:60]), "test": (X[60:], Y[60:]),
                           "all": (X, Y)}}
    result = keras_tl.repeat_heads(data, epochs=4, validation_freq=2)
    assert result.keys == list(data) and result.epochs == [2, 4]
    assert set(result.curves) == {"val", "test", "all"} and result.curves["all"].shape == (2, 2)


def test_repeat_heads_takes_a_keras_initializer_for_the_whole_kernel():
    data = {s: DATA for s in (1, 2)}   # the same data, the same zero start: the same head twice
    result = keras_tl.repeat_heads(data, epochs=3, batch_size=16, optimizer="sgd", learning_rate=0.5, shuffle=False,
                                   kernel_initializer="zeros")
    np.testing.assert_array_equal(result.curves["test"][:, 0], result.curves["test"][:, 1])


@pytest.mark.parametrize("call, fragment", [
    (lambda: keras_tl.repeat(small, DATA, seeds=[1, 1], epochs=1), "distinct seeds"),
    (lambda: keras_tl.repeat(small, {1: DATA}, seeds=3, epochs=1), "seeds=3 with data given per key"),
    (lambda: keras_tl.repeat(small, DATA[:2], epochs=1), "(train, val, test) triple"),
    (lambda: keras_tl.repeat(small, DATA, epochs=0), "epochs=0"),
    (lambda: keras_tl.repeat(small, DATA, epochs=2, validation_freq=3), "validation_freq=3 is more than epochs=2"),
    (lambda: keras_tl.repeat(small, DATA, epochs=1, optimizer="adamm"), "optimizer='adamm'"),
    (lambda: keras_tl.repeat(lambda s: "dense", DATA, epochs=1), "not a keras.Model"),
    (lambda: keras_tl.repeat(small, ((X, Y[:5]), DATA[1], DATA[2]), epochs=1), "x has 90 samples and y 5"),
    (lambda: keras_tl.repeat(small, {("a", "b"): DATA}, epochs=1), "key ('a', 'b') does not end in an integer seed"),
    (lambda: keras_tl.repeat_heads(DATA, epochs=1, n_classes=1), "n_classes=1"),
    (lambda: keras_tl.repeat_heads(DATA, epochs=1, n_classes=2), "not below n_classes=2"),
    (lambda: keras_tl.repeat_heads(((X[:, None], Y),) + DATA[1:], epochs=1), "flatten them first"),
])
def test_bad_input_is_named(call, fragment):
    with pytest.raises(ValueError, match=None) as info:
        call()
    assert fragment in str(info.value), str(info.value)
