"""Catastrophic forgetting: measuring it, rehearsal and L2-SP (keras_tl.transfer.forgetting)."""

import keras
import numpy as np
import pytest

from keras_tl import add_head, build_source_cnn, feature_extractor, fine_tune
from keras_tl.transfer.forgetting import L2SP, RehearsalData, accuracy_of, apply_l2sp, l2sp_penalty, measure_forgetting, two_head_model

SCE = "sparse_categorical_crossentropy"


def _source_and_target(seed=0, n_target=3):
    keras.utils.set_random_seed(seed)
    source = build_source_cnn()
    return source, add_head(feature_extractor(source, "flatten", trainable=True), n_target)


def _toy_source(seed=0, n=200):
    """A source task the CNN learns in a few steps: class = which quarter of the image is bright."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 4, n)
    x = rng.uniform(0, 40, (n, 28, 28)).astype("float32")
    for i, c in enumerate(y):
        r, k = divmod(int(c), 2)
        x[i, r * 14:(r + 1) * 14, k * 14:(k + 1) * 14] += 200
    return x, y


def _toy_target(seed=1, n=200):
    """A different task on other features: class = horizontal vs vertical stripes."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = rng.uniform(0, 40, (n, 28, 28)).astype("float32")
    x[y == 0, ::4, :] += 200
    x[y == 1, :, ::4] += 200
    return x, y


@pytest.fixture(scope="module")
def trained_source_weights():
    """The source CNN's weights after learning the toy source task: trained once for the module."""
    keras.utils.set_random_seed(0)
    source = build_source_cnn(n_classes=4)
    source.compile(optimizer=keras.optimizers.Adam(3e-3), loss=SCE)
    source.fit(*_toy_source(), epochs=3, batch_size=32, verbose=0)
    return source.get_weights()


def _trained_source(weights, seed=0):
    """A fresh copy of the trained source CNN (each test changes its own)."""
    keras.utils.set_random_seed(seed)
    source = build_source_cnn(n_classes=4)
    source.set_weights(weights)
    source.compile(optimizer=keras.optimizers.Adam(3e-3), loss=SCE)
    return source


def test_l2sp_regularizer_zero_at_reference_and_exact_after_a_change():
    ref = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
    reg = L2SP(0.2, reference=ref)
    assert float(reg(ref)) == 0.0
    moved = ref.copy()
    moved[0, 0] += 3.0
    assert float(reg(moved)) == pytest.approx(0.5 * 0.2 * 9.0)
    assert float(L2SP(0.2)(moved)) == pytest.approx(0.1 * float(np.sum(moved**2)), rel=1e-5)
    clone = L2SP.from_config(reg.get_config())
    assert clone.alpha == 0.2 and np.array_equal(clone.reference, ref)


def test_apply_l2sp_penalty_zero_then_positive_and_in_the_training_loss():
    source, target = _source_and_target()
    apply_l2sp(target, alpha=0.5, beta=0.0)
    assert float(l2sp_penalty(target)) == 0.0
    assert float(sum(float(l) for l in target.losses)) == 0.0
    kernel = target.get_layer("source_cnn_base").get_layer("block2_conv").kernel
    delta = np.full(kernel.shape, 0.01, "float32")
    kernel.assign(kernel + delta)
    expected = 0.5 * 0.5 * float(np.sum(delta**2))
    assert float(l2sp_penalty(target)) == pytest.approx(expected, rel=1e-4)
    assert float(sum(float(l) for l in target.losses)) == pytest.approx(expected, rel=1e-4)  # what fit adds


def test_apply_l2sp_beta_on_head_only():
    _, target = _source_and_target()
    apply_l2sp(target, alpha=0.0, beta=2.0)
    head = target.get_layer("head")
    expected = float(np.sum(np.array(head.kernel) ** 2) + np.sum(np.array(head.bias) ** 2))
    assert expected > 0
    assert float(l2sp_penalty(target)) == pytest.approx(expected, rel=1e-5)


def test_l2sp_gradient_enters_fit_exactly():
    """One SGD step from w0 + delta: L2-SP adds exactly -lr * alpha * delta to the step."""
    x, y = _toy_target(n=16)
    lr, alpha = 0.1, 0.5
    after, start = {}, None
    for a in (0.0, alpha):
        _, target = _source_and_target(seed=0, n_target=2)
        conv = target.get_layer("source_cnn_base").get_layer("block1_conv")
        apply_l2sp(target, alpha=a)
        delta = np.random.default_rng(1).normal(0, 0.05, conv.kernel.shape).astype("float32")
        conv.kernel.assign(conv.kernel + delta)
        target.compile(optimizer=keras.optimizers.SGD(lr), loss=SCE)
        target.train_on_batch(x, y)
        after[a] = np.array(conv.kernel)
    np.testing.assert_allclose(after[alpha] - after[0.0], -lr * alpha * delta, atol=2e-6)
    assert np.abs(delta).max() > 0.05


def test_l2sp_saved_and_loaded(tmp_path):
    _, target = _source_and_target()
    apply_l2sp(target, alpha=0.3)
    path = tmp_path / "l2sp.keras"
    target.save(path)
    loaded = keras.saving.load_model(path)
    conv = loaded.get_layer("source_cnn_base").get_layer("block1_conv")
    assert isinstance(conv.kernel.regularizer, L2SP)
    assert float(l2sp_penalty(loaded)) == 0.0
    conv.kernel.assign(conv.kernel + 1.0)
    assert float(l2sp_penalty(loaded)) == pytest.approx(0.5 * 0.3 * int(np.prod(conv.kernel.shape)), rel=1e-4)


def test_l2sp_bad_inputs():
    with pytest.raises(ValueError, match=r"alpha=-0.1"):
        L2SP(-0.1)
    _, target = _source_and_target()
    with pytest.raises(ValueError, match=r"alpha=-1"):
        apply_l2sp(target, alpha=-1)
    with pytest.raises(ValueError, match=r"beta=-0.5"):
        apply_l2sp(target, alpha=0.1, beta=-0.5)
    with pytest.raises(ValueError, match="no nested base"):
        apply_l2sp(build_source_cnn(), alpha=0.1)


def test_forgetting_measured_on_a_learnt_source(trained_source_weights):
    source = _trained_source(trained_source_weights)
    xs, ys = _toy_source(seed=5)
    assert accuracy_of(source, xs, ys) > 0.9  # the toy source is learnt
    target = add_head(feature_extractor(source, "flatten", trainable=True), 2)
    target = fine_tune(target, "all", learning_rate=3e-2, loss=SCE)
    xt, yt = _toy_target()
    before = accuracy_of(source, xs, ys)
    report = measure_forgetting(source, target, (xs, ys), _toy_target(seed=6), xt, yt, epochs=3, batch_size=32, verbose=0)
    assert report.source_before == before
    assert report.source_after == pytest.approx(accuracy_of(source, xs, ys))
    assert report.forgetting == pytest.approx(report.source_before - report.source_after)
    assert report.target_after > report.target_before
    assert report.forgetting > 0.05  # a high learning rate on a different task moves the shared base
    assert "loss" in report.history and "forgetting" in str(report)


def test_measure_forgetting_bad_inputs():
    source = build_source_cnn()
    unrelated = add_head(feature_extractor(build_source_cnn(), "flatten"), 2)
    unrelated.compile(optimizer="adam", loss=SCE)
    data = (np.zeros((4, 28, 28)), np.zeros(4))
    with pytest.raises(ValueError, match="shares no weights"):
        measure_forgetting(source, unrelated, data, data, *data, epochs=1, verbose=0)
    target = add_head(feature_extractor(source, "flatten"), 2)
    with pytest.raises(ValueError, match="not compiled"):
        measure_forgetting(source, target, data, data, *data, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="same length"):
        accuracy_of(source, np.zeros((3, 28, 28)), np.zeros(2))


def test_rehearsal_batches_mix_and_weight_each_task():
    tx, ty = np.arange(10 * 4).reshape(10, 2, 2).astype("float32"), np.arange(10) % 3
    sx, sy = -np.ones((6, 2, 2), "float32"), np.arange(6) % 2 + 1
    data = RehearsalData(tx, ty, sx, sy, batch_size=4, n_source=1, seed=0)
    assert len(data) == 4  # 10 target samples, 3 per batch
    seen = []
    for i in range(len(data)):
        x, y, w = data[i]
        n_t = int(w["target"].sum())
        assert w["source"].sum() == 1 and np.all(w["target"] + w["source"] == 1)
        assert np.all(x[n_t:] == -1)  # the rehearsed source sample comes last
        assert np.all(y["source"][:n_t] == 0) and np.all(y["source"][n_t:] >= 1)
        seen.extend(x[:n_t, 0, 0].tolist())
    assert sorted(seen) == sorted(tx[:, 0, 0].tolist())  # every target sample once per epoch
    with pytest.raises(ValueError, match=r"n_source=4"):
        RehearsalData(tx, ty, sx, sy, batch_size=4, n_source=4)
    with pytest.raises(ValueError, match="source x and y"):
        RehearsalData(tx, ty, sx[:0], sy[:0])
    with pytest.raises(ValueError, match="differ in shape"):
        RehearsalData(tx, ty, np.zeros((6, 3, 3)), sy)


def test_rehearsal_trains_with_two_heads_and_keeps_source_head_frozen(trained_source_weights):
    source = _trained_source(trained_source_weights)
    target = add_head(feature_extractor(source, "flatten", trainable=True), 2)
    both = two_head_model(source, target)
    assert not source.get_layer("fc").trainable and not source.get_layer("predictions").trainable
    fc0 = np.array(source.get_layer("fc").kernel)
    both.compile(optimizer=keras.optimizers.Adam(1e-3), loss={"target": SCE, "source": SCE})
    xs, ys = _toy_source(seed=3, n=40)
    data = RehearsalData(*_toy_target(n=60), xs, ys, batch_size=16, n_source=4, seed=0)
    report = measure_forgetting(source, target, _toy_source(seed=5), _toy_target(seed=6), data, fit_model=both,
                                epochs=1, verbose=0)
    assert {"target_loss", "source_loss"} <= set(report.history)
    assert np.array_equal(np.array(source.get_layer("fc").kernel), fc0)
    with pytest.raises(ValueError, match="shares no weights"):
        two_head_model(build_source_cnn(), target)
