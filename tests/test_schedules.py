"""Gradual unfreezing and discriminative learning rates (keras_tl.transfer.schedules)."""

import keras
import numpy as np
import pytest

from keras_tl import add_head, build_source_cnn, feature_extractor, fine_tune
from keras_tl.transfer.schedules import DiscriminativeLR, GradualUnfreezing, discriminative_lr, layer_groups


def _data(n=16, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 255, (n, 28, 28)).astype("float32"), rng.integers(0, 3, n)


def _target_model(seed=0):
    keras.utils.set_random_seed(seed)
    return add_head(feature_extractor(build_source_cnn(), "flatten"), 3)


def _opt_state(opt):
    return {v.name: np.array(v) for v in opt.variables}


def test_layer_groups_default_and_explicit():
    model = _target_model()
    assert list(layer_groups(model)) == ["block1", "block2"]
    assert list(layer_groups(build_source_cnn())) == ["block1", "block2", "fc"]
    explicit = layer_groups(model, [["block1_conv"], "block2"])
    assert [[lyr.name for lyr in v] for v in explicit.values()] == [["block1_conv"], ["block2_conv", "block2_bn"]]
    with pytest.raises(ValueError, match="block9"):
        layer_groups(model, ["block9"])


def test_trainable_flags_per_epoch():
    model = _target_model()
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    cb = GradualUnfreezing()
    x, y = _data()
    model.fit(x, y, epochs=4, batch_size=8, verbose=0, callbacks=[cb])
    assert [e["groups"] for e in cb.log] == [[], ["block2"], ["block2", "block1"], ["block2", "block1"]]
    flags = [e["trainable"] for e in cb.log]
    assert flags[0] == {"block1_conv": False, "block1_bn": False, "block2_conv": False, "block2_bn": False}
    assert flags[1] == {"block1_conv": False, "block1_bn": False, "block2_conv": True, "block2_bn": False}
    assert flags[2] == {"block1_conv": True, "block1_bn": False, "block2_conv": True, "block2_bn": False}
    # head (2 weights) + block2_conv kernel + block1_conv kernel: the convs have no bias
    assert [e["n_trainable_weights"] for e in cb.log] == [2, 3, 4, 4]


def test_unfrozen_weights_actually_train_and_frozen_do_not():
    model = _target_model()
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    w1 = np.array(model.get_layer("source_cnn_base").get_layer("block1_conv").kernel)
    w2 = np.array(model.get_layer("source_cnn_base").get_layer("block2_conv").kernel)
    x, y = _data()
    model.fit(x, y, epochs=2, batch_size=8, verbose=0, callbacks=[GradualUnfreezing(every=1)])
    base = model.get_layer("source_cnn_base")
    assert np.array_equal(np.array(base.get_layer("block1_conv").kernel), w1)  # not yet unfrozen after 2 epochs
    assert not np.allclose(np.array(base.get_layer("block2_conv").kernel), w2)


def test_same_optimizer_and_state_kept_when_built_on_all_variables():
    model = _target_model()
    model = fine_tune(model, "all", learning_rate=1e-3)  # compiled while everything trains
    opt = model.optimizer
    x, y = _data()
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)  # 2 steps: Adam slots of all variables move
    before = _opt_state(opt)
    assert int(opt.iterations) == 2
    cb = GradualUnfreezing()
    model.fit(x, y, epochs=2, batch_size=8, verbose=0, callbacks=[cb])
    assert model.optimizer is opt
    assert int(opt.iterations) == 2 + 4  # counting went on: 2 epochs of 2 steps
    after = _opt_state(opt)
    # block1 stays frozen in these two epochs: its momentum survives untouched and is not zero
    key = "block1_conv_kernel_momentum"
    assert key in before and np.abs(before[key]).sum() > 0
    assert np.array_equal(after[key], before[key])
    # the head kept training from its state, so its slots moved on from the old values
    assert not np.array_equal(after["head_kernel_momentum"], before["head_kernel_momentum"])


def test_optimizer_swapped_with_state_when_built_on_head_only():
    model = _target_model()  # base frozen: Adam gets built on the head only
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    x, y = _data()
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    old = model.optimizer
    before = _opt_state(old)
    assert "block2_conv_kernel_momentum" not in before
    seen = {}

    class Snapshot(keras.callbacks.Callback):  # runs after GradualUnfreezing swapped the optimizer, before any step
        def on_train_begin(self, logs=None):
            seen.update(_opt_state(self.model.optimizer), iterations=int(self.model.optimizer.iterations))

    model.fit(x, y, epochs=1, batch_size=8, verbose=0, callbacks=[GradualUnfreezing(), Snapshot()])
    assert seen["iterations"] == 2
    for name in ("head_kernel_momentum", "head_kernel_velocity", "head_bias_momentum"):
        assert np.abs(before[name]).sum() > 0
        np.testing.assert_array_equal(seen[name], before[name])
    assert np.abs(seen["block2_conv_kernel_momentum"]).sum() == 0  # new variables start with zero slots
    new = model.optimizer
    assert new is not old and type(new) is type(old)
    assert int(new.iterations) == 4  # the first epoch (head only) went on counting
    model.fit(x, y, epochs=2, batch_size=8, verbose=0, callbacks=[GradualUnfreezing()])
    assert model.optimizer is new  # built on all variables now: no second swap


def test_bad_schedules():
    with pytest.raises(ValueError, match=r"n_groups=0"):
        GradualUnfreezing(n_groups=0)
    with pytest.raises(ValueError, match=r"every=0"):
        GradualUnfreezing(every=0)
    model = _target_model()
    cb = GradualUnfreezing(n_groups=3)
    with pytest.raises(ValueError, match=r"n_groups=3 .*give 1\.\.2"):
        cb.plan(model)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    x, y = _data(4)
    with pytest.raises(ValueError, match=r"n_groups=3"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[cb])
    assert GradualUnfreezing(n_groups=1).plan(model) == [[], ["block2"]]


def test_discriminative_sgd_moves_each_group_by_its_factor():
    x, y = _data(8)
    plain, disc = _target_model(1), _target_model(1)
    fine_tune(plain, "all", learning_rate=0.05)
    fine_tune(disc, "all", learning_rate=0.05)
    disc.set_weights(plain.get_weights())
    opt = discriminative_lr(disc, 0.05, factor=2.0, optimizer="sgd")
    disc.compile(optimizer=opt, loss="sparse_categorical_crossentropy")
    plain.compile(optimizer=keras.optimizers.SGD(0.05), loss="sparse_categorical_crossentropy")
    start = {v.path: np.array(v) for v in plain.trainable_variables}
    plain.train_on_batch(x, y)
    disc.train_on_batch(x, y)
    expected = {"block1_conv/kernel": 0.25, "block2_conv/kernel": 0.5, "head/kernel": 1.0, "head/bias": 1.0}
    for p, v in {v.path: v for v in disc.trainable_variables}.items():
        step_disc = np.array(v) - start[p]
        step_plain = np.array(next(w for w in plain.trainable_variables if w.path == p)) - start[p]
        assert np.abs(step_plain).max() > 0
        np.testing.assert_allclose(step_disc, expected[p] * step_plain, rtol=1e-4, atol=1e-8)


def test_discriminative_adam_lower_groups_move_less_and_roundtrip(tmp_path):
    x, y = _data(16)
    model = fine_tune(_target_model(2), "all", learning_rate=1e-3)
    opt = discriminative_lr(model, 1e-3, factor={"block1": 0.0, "block2": 0.1})
    model.compile(optimizer=opt, loss="sparse_categorical_crossentropy")
    start = {v.path: np.array(v) for v in model.trainable_variables}
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    moved = {v.path: np.abs(np.array(v) - start[v.path]).max() for v in model.trainable_variables}
    assert moved["block1_conv/kernel"] == 0.0
    assert 0 < moved["block2_conv/kernel"] < 0.5 * moved["head/kernel"]
    path = tmp_path / "disc.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded.optimizer, DiscriminativeLR)
    assert loaded.optimizer.lr_multipliers == opt.lr_multipliers


def test_discriminative_with_gradual_unfreezing():
    model = fine_tune(_target_model(3), "all", learning_rate=1e-3)
    model.compile(optimizer=discriminative_lr(model, 1e-3), loss="sparse_categorical_crossentropy")
    opt = model.optimizer
    x, y = _data()
    cb = GradualUnfreezing()
    model.fit(x, y, epochs=3, batch_size=8, verbose=0, callbacks=[cb])
    assert model.optimizer is opt and int(opt.iterations) == 6
    assert cb.log[-1]["groups"] == ["block2", "block1"]
    # fine_tune rebuilds the optimizer from its config: the class and the per-variable factors survive
    fine_tune(model, "all", lr_factor=0.1)
    assert type(model.optimizer) is type(opt) and model.optimizer.lr_multipliers == opt.lr_multipliers
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-4)


def test_discriminative_bad_inputs():
    model = _target_model()
    with pytest.raises(ValueError, match="base_lr=0"):
        discriminative_lr(model, 0)
    with pytest.raises(ValueError, match="factor=0.5"):
        discriminative_lr(model, 1e-3, factor=0.5)
    with pytest.raises(ValueError, match="block7"):
        discriminative_lr(model, 1e-3, factor={"block7": 0.1})
    with pytest.raises(ValueError, match="optimizer="):
        discriminative_lr(model, 1e-3, optimizer=3)
    with pytest.raises(ValueError, match="lr_multipliers"):
        discriminative_lr(model, 1e-3, factor={"block1": -1.0})
